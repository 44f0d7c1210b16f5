"""The chronograph (core/chronograph.py) and after-commit actions (core/after_commit.py): each due object
in its own transaction, a failing one rolled back, logged and audited without stopping the others, its
follow-ups dropped; one run at a time under the sweep's lock; every package's sweep on the beat schedule
as the one task."""

from __future__ import annotations

from sqlalchemy import select


def _deactivate_step(fail_for: set[int], sent: list):
    from accounts.models import User
    from core.after_commit import after_commit
    from core.chronograph import TimedStep

    def handler(user: User) -> str:
        user.active = False
        after_commit(sent.append, ("declared", user.id))
        if user.id in fail_for:
            raise RuntimeError("boom")
        return user.username

    return TimedStep("test.deactivate", User, handler, where=lambda _now: User.active.is_(True),
                     then=lambda user_id, name: sent.append(("then", user_id, name)), key="deactivated")


def test_a_failing_object_is_rolled_back_and_audited_and_the_others_still_move(app_ctx, make_user):
    from accounts.models import User
    from audit.models import AuditEvent
    from core.chronograph import Sweep, run_steps
    from core.db import db

    users = [make_user("purchaser") for _ in range(3)]
    db.session.commit()
    bad = users[1].id
    sent: list = []
    sweep = Sweep("test-sweep", 60, (_deactivate_step({bad}, sent),))
    report = run_steps(sweep)
    good = [users[0].id, users[2].id]
    assert report == {"deactivated": good}
    assert {u.id: u.active for u in db.session.scalars(select(User))} == {good[0]: False, bad: True, good[1]: False}
    # follow-ups only for what was committed, each after its own object's commit
    assert sent == [("declared", good[0]), ("then", good[0], users[0].username),
                    ("declared", good[1]), ("then", good[1], users[2].username)]
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "chronograph.step_failed")).all()
    assert [(e.object_type, e.object_id, e.actor) for e in failed] == [("user_account", str(bad), "system:chronograph")]
    sent.clear()
    assert run_steps(sweep) == {"deactivated": []}  # idempotent: the moved ones are no longer due
    assert sent == []  # the failing one fails again, its follow-ups dropped again


def test_one_run_of_a_sweep_at_a_time(app, app_ctx):
    from core import chronograph

    with chronograph.sweep_lock("tender-sweep") as first:
        assert first
        assert chronograph.run_sweep("tender-sweep") == {"skipped": True}
    assert chronograph.run_sweep("tender-sweep")["closed"] == []


def test_every_sweep_is_the_one_task_on_the_beat_schedule(app):
    schedule = app.config["CELERY_BEAT_SCHEDULE"]
    sweeps = app.extensions["chronograph"]
    assert {"tender-sweep", "expert-draw-sweep", "evaluation-award-deadlines",
            "evaluation-complaint-deadlines"} <= set(sweeps)
    for name, sweep in sweeps.items():
        assert schedule[name] == {"task": "core.chronograph", "schedule": sweep.every, "args": (name,)}
    assert "core.chronograph" in app.extensions["celery"].tasks


def test_follow_ups_run_after_the_commit_and_never_after_a_rollback(app_ctx, make_user, tmp_path):
    from core.after_commit import after_commit, commit, on_rollback, run_followups
    from core.db import db

    ran: list = []
    user = make_user("purchaser")
    after_commit(ran.append, "sent")
    assert ran == []
    commit()
    assert ran == ["sent"]
    written = tmp_path / "upload.bin"
    written.write_bytes(b"x")
    user.active = False
    after_commit(ran.append, "never")
    on_rollback(written.unlink)
    db.session.rollback()
    run_followups()
    assert ran == ["sent"] and not written.exists()


def test_a_failing_follow_up_does_not_stop_the_next(app_ctx):
    from core.after_commit import after_commit, commit

    ran: list = []
    after_commit(lambda: 1 / 0)
    after_commit(ran.append, "next")
    commit()
    assert ran == ["next"]
