"""Publication and opening record the region's rule-set version they ran under, and the project page
shows both; a rule changed between them is the opening's, not the publication's."""

from __future__ import annotations

import json
from datetime import timedelta

from tender_helpers import seal_bid, submit
from tests_helpers import login


def test_publication_and_opening_record_their_rule_versions(world, make_project, client, clock):
    from audit.models import AuditEvent
    from core.db import db
    from region_rules import store
    from tender import opening

    project = make_project()
    assert project.published_rules_version == store.version("330329") == 0
    lot = project.lots[0]
    for supplier in world.suppliers[:3]:
        assert submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier)).status_code == 201
    store.set_values(None, "330000", {"opening_window_minutes": 90})  # the province, before the deadline
    db.session.commit()
    clock.set(project.deadline + timedelta(seconds=5))
    opening.sweep()
    db.session.expire_all()
    assert (project.published_rules_version, project.opened_rules_version) == (0, 1)
    closed = AuditEvent.query.filter_by(action="tender.submission_closed").one()
    assert json.loads(closed.payload)["rules_version"] == 1
    login(client, world.agency)
    page = client.get(f"/tender/{project.id}").get_data(as_text=True)
    assert "发布时第 0 版" in page and "开标时第 1 版" in page
