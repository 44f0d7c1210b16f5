"""Periods after the evaluation, counted in working days over the 2026 holiday calendar."""

from datetime import date

import pytest

from evaluation.deadlines import AwardPeriods, DeadlineState, Step, deadline_state, due_date


@pytest.mark.parametrize(("step", "start", "due"), [
    # Evaluation ends Wed 23 Sep 2026: Thu 24 (1); Fri 25 – Sun 27 Mid-Autumn; Mon 28 (2).
    (Step.REPORT_TO_PURCHASER, date(2026, 9, 23), date(2026, 9, 28)),
    # Report received Mon 28 Sep: Tue 29 (1), Wed 30 (2), 1–7 Oct National Day, Thu 8 (3), Fri 9 (4),
    # Sat 10 Oct is a make-up working day (5).
    (Step.PURCHASER_CONFIRM, date(2026, 9, 28), date(2026, 10, 10)),
    # Winner confirmed Fri 27 Nov: Mon 30 (1), Tue 1 Dec (2).
    (Step.RESULT_NOTICE, date(2026, 11, 27), date(2026, 12, 1)),
    # Result published Fri 27 Nov; notice period ends Mon 30 Nov; 7 working days: 1, 2, 3, 4, 7, 8, 9 Dec.
    (Step.CHALLENGE, date(2026, 11, 27), date(2026, 12, 9)),
    (Step.CHALLENGE_ANSWER, date(2026, 12, 9), date(2026, 12, 18)),
    # Award notice Fri 27 Nov + 30 days = Sun 27 Dec → Mon 28 Dec.
    (Step.CONTRACT, date(2026, 11, 27), date(2026, 12, 28)),
    (Step.CONTRACT_NOTICE, date(2026, 12, 28), date(2026, 12, 30)),
    (Step.EXPERT_RATING, date(2026, 9, 23), date(2026, 10, 8)),  # 24, 28, 29, 30 Sep, 8 Oct
])
def test_due_dates(step, start, due):
    assert due_date(step, start) == due


def test_periods_are_configurable():
    assert due_date("purchaser_confirm", date(2026, 11, 27), AwardPeriods(purchaser_confirm_workdays=3)) == \
        date(2026, 12, 2)


@pytest.mark.parametrize(("today", "state"), [
    (date(2026, 10, 7), DeadlineState.OPEN),     # holiday: 8 and 9 Oct still to come before the 10th
    (date(2026, 10, 9), DeadlineState.REMIND),
    (date(2026, 10, 10), DeadlineState.REMIND),  # the last day is still on time
    (date(2026, 10, 11), DeadlineState.OVERDUE),
])
def test_deadline_state(today, state):
    assert deadline_state(date(2026, 10, 10), today) is state


def test_datetimes_are_refused():
    from datetime import UTC, datetime

    with pytest.raises(TypeError):
        due_date(Step.CONTRACT, datetime(2026, 11, 27, tzinfo=UTC))
