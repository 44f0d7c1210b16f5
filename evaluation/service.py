"""The evaluation room's public access module: import from here, whatever the stage.

Every state change of the room and the award is one function here: it checks who acts (`actor_of`,
the visibility table `evaluation.visibility`), the committee's status and the clock, changes rows,
writes its audit event with `audit.service.record` and flushes; it never commits (the view, socket
handler or task commits once, then announces the change to the room). The rules themselves live in the
pure modules; the stage modules only turn rows into their inputs (`outcome.lot_inputs`) and their
outcome back into rows.

The functions live in one module per stage of a lot's evaluation, re-exported here:
`room` (lookups and who is who, the guards) → `seating` (open (agency) → declarations (members; a
conflict leaves and the draw replaces him) → chair vote) → `reviewing` (the bids' documents,
qualification and compliance review, each member's sheet) with `clarifying` (clarifications,
low-price explanations, price corrections) and `outcome` (the rules over the rows) → `marking`
(scoring, each member's sheet, TOTP step-up; flags confirmed or corrected with reasons) →
`reporting` (accept + lock → report PDF → signatures (TOTP, dissents) → completed) → `awarding`
(sent to the purchaser (award pending) → winner confirmed → result notice; the contract is
`evaluation.contracts`) → `ratings`; `room_state` is what the room shows. A stage module imports
only earlier ones; modules of the stages that the stages call back (`contracts`, `letters`,
`report_pdf`) import the stage modules directly, everything else imports this one.
"""

from __future__ import annotations

from evaluation.awarding import (  # noqa: F401
    award_deadline_state,
    award_recipients,
    confirm_winner,
    deem_confirmed,
    get_award,
    overdue_awards,
    publish_result,
    result_notice_body,
    send_report,
    settle_void,
    sweep_award_deadlines,
    void_award,
)
from evaluation.clarifying import (  # noqa: F401
    ANSWER_FORMAT,
    PRICE_PROBLEMS_ZH,
    answer_clarification,
    answer_document,
    answer_price_correction,
    ask_clarification,
    clarification_items,
    clarifications_of_supplier,
    confirmation_of,
    decide_explanation,
    normalise_answer,
    price_requests_of,
    price_review,
    price_statement,
    request_price_confirmations,
)
from evaluation.marking import (  # noqa: F401
    open_findings,
    propose_outlier,
    raise_flags,
    resolve_flag,
    scores_visible_to,
    start_summary,
    submit_scores,
    valid_bid_ids,
    vote_outlier,
)
from evaluation.outcome import (  # noqa: F401
    FAILURE_REASONS,
    apply_exclusions,
    fail_lot,
    lot_inputs,
    outcome_of,
    reviews_of,
)
from evaluation.ratings import (  # noqa: F401
    rate_expert,
    ratings_of,
)
from evaluation.reporting import (  # noqa: F401
    accept_summary,
    can_read_report,
    current_report,
    generate_report,
    members_info,
    reopen_summary,
    report_contents,
    score_changes,
    sign_report,
    signature_current,
    signed_current,
)
from evaluation.reviewing import (  # noqa: F401
    bid_documents,
    finish_review,
    open_bid_document,
    request_low_price_explanations,
    set_sme_class,
    submit_review,
)
from evaluation.room import (  # noqa: F401
    AWARD_ZH,
    DEFAULT_REQUIREMENTS,
    LIVE,
    STAGE_ZH,
    STAGES,
    STATUS_ZH,
    C,
    actor_of,
    award_of,
    bid_names,
    bid_of,
    bid_rows,
    can_enter,
    can_view_room,
    committee_for_lot,
    committee_size,
    done,
    get_committee,
    is_agency,
    is_complete,
    is_purchaser,
    is_supervisor,
    lot_of,
    mark_done,
    member_of,
    opened_bids,
    project_of,
    require,
    require_agency,
    require_chair,
    require_complete,
    require_member,
    require_status,
    requirements_of,
    rules_of,
    scheme_of,
    seats_taken,
)
from evaluation.room_state import (  # noqa: F401
    progress,
    state_for,
)
from evaluation.seating import (  # noqa: F401
    open_evaluation,
    purchaser_reps_wanted,
    refresh_members,
    replace_conflicted,
    resume,
    seat_confirmed,
    sign_declaration,
    start_review,
    suspend,
    vote_chair,
)
