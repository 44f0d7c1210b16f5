"""The expert draw's public access module: import from here, whatever the stage.

Each write checks guard, status and clock, changes state, records the audit event, flushes and declares
the experts' notifications with `core.after_commit`; the view or task commits once and they go out after it.

The functions live in one module per stage of a request, re-exported here: `rule_table` (the rules in
force for a region) → `transitions` (status moves with their audit events, the request's lock) →
`visibility` (who sees what, the guards) → `pool` (who may be drawn) → `requesting` (the request,
avoidances, cancellation) → `drawing` (commitment, the draw, the seats) → `replying` (confirmations,
declines, time-outs, withdrawals and replacements; the expert's invitations) → `unsealing` (the salts
published at the evaluation start). A stage module imports only earlier ones; everything outside
them imports this one.
"""

from __future__ import annotations

from expert_draw.drawing import (  # noqa: F401
    SEED_PURPOSE,
    SUPERVISOR_INPUT_RE,
    commit_draw,
    discard_draw,
    draw_events,
    event_payloads,
    exclusions_of,
    invite,
    missing_seats,
    new_invitation,
    run_draw,
    seat_counts,
)
from expert_draw.pool import (  # noqa: F401
    LISTED,
    Pool,
    SpecialtyCount,
    avoidance_context,
    build_pool,
    credit_weights,
    expert_facts,
    gc_paused,
)
from expert_draw.replying import (  # noqa: F401
    confirm_invitation,
    decline_invitation,
    invitation_for_code,
    invitations_of,
    record_no_show,
    record_phone_reply,
    replace_seat,
    time_out_invitations,
    withdraw_invitation,
)
from expert_draw.requesting import (  # noqa: F401
    HandPickIn,
    add_manual_exclusion,
    cancel_request,
    committee_of_request,
    committee_problems_of,
    create_request,
    find_expert_by_id_number,
)
from expert_draw.rule_table import (  # noqa: F401
    DEFAULT_RULE,
    rule_for,
    set_region_rule,
)
from expert_draw.transitions import (  # noqa: F401
    get_request,
    lock_request,
    move,
    move_invitation,
    move_request,
    request_invitations,
)
from expert_draw.unsealing import (  # noqa: F401
    publish_due,
    publish_salts,
)
from expert_draw.visibility import (  # noqa: F401
    AGENCY_ROLES,
    CONTACTS,
    COUNTS,
    NAMES,
    NONE,
    VIEWS,
    can_manage,
    look_at_names,
    period,
    requests_for,
    require_manage,
    require_view,
    viewer_kind,
    visibility,
)
