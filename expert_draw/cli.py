"""`flask expert-draw verify DRAW_ID` and `flask expert-draw export DRAW_ID`."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.db import db

expert_draw_cli = AppGroup("expert-draw", help="Expert draws: verify from the audit log, export.")


@expert_draw_cli.command("verify")
@click.argument("draw_id", type=int)
def verify_command(draw_id: int) -> None:
    """Recompute a draw (and its replacements) from the audit log; compare with the stored seats."""
    from expert_draw import service
    from expert_draw.models import Invitation, InvitationKind
    from expert_draw.verifier import Difference, verify_draw

    events = service.draw_events(draw_id)
    try:
        check = verify_draw(events, draw_id)
    except Difference as exc:
        click.echo(f"DIFFERENCE {exc}")
        raise SystemExit(1) from exc
    stored = set(
        db.session.scalars(
            select(Invitation.leaf).where(Invitation.draw_id == draw_id, Invitation.kind != InvitationKind.HAND_PICKED)
        )
    )
    logged = _logged_leaves(events)
    if stored != logged:
        click.echo(
            f"DIFFERENCE stored invitations of draw {draw_id} do not match the log: "
            f"only stored {sorted(stored - logged)[:3]}, only logged {sorted(logged - stored)[:3]}"
        )
        raise SystemExit(1)
    click.echo(check.summary())


def _logged_leaves(events: list[dict]) -> set[str]:
    leaves: set[str] = set()
    for event in events:
        payload = event["payload"]
        if event["action"] == "expert_draw.drawn":
            leaves.update(leaf for s in payload["selection"] for leaf in s["primary"] + s["backup"])
        elif event["action"] == "expert_draw.replaced" and payload["chosen"]:
            leaves.add(payload["chosen"])
    return leaves


@expert_draw_cli.command("export")
@click.argument("draw_id", type=int)
def export_command(draw_id: int) -> None:
    """Print the audit events of one draw as JSON, for `python -m expert_draw.verifier`."""
    from expert_draw import service

    click.echo(json.dumps(service.draw_events(draw_id), ensure_ascii=False))
