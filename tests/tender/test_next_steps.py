"""Issue 13 part 10: a next step after every stage. The supplier reads what happens next to each of its bids
on the project page; once the opening is done the agency is offered to open the evaluation room (project
page and hall)."""

from __future__ import annotations

from tender_helpers import seal_bid, submit, sweep_with_keeper, vault_and_keeper
from tests_helpers import login


def _next_steps(page: str) -> list[str]:
    import re

    return re.findall(r'by-bid-next">(.*?)</div>', page)


def test_each_bid_says_what_happens_next_and_the_agency_is_offered_the_room(world, make_project, client, clock):
    from core.db import db
    from tender.models import Project

    project = make_project(**vault_and_keeper(world))
    lot = project.lots[0]
    for supplier in world.suppliers[:3]:
        assert submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier)).status_code == 201
    first = world.suppliers[0]
    assert submit(client, first.user, project, lot, seal_bid(project, lot, first, 85_000_00)).status_code == 201
    login(client, first.user)
    steps = _next_steps(client.get(f"/tender/{project.id}").get_data(as_text=True))
    assert len(steps) == 2 and "投标截止并在网上开标大厅开标；截止前可撤回或重新递交" in steps[0]
    assert "已被本单位后一次递交替换，不参与开标" in steps[1]
    login(client, world.agency)
    assert "next-step-evaluation" not in client.get(f"/tender/{project.id}").get_data(as_text=True)

    clock.set(project.deadline)
    sweep_with_keeper(world)
    db.session.expire_all()
    assert db.session.get(Project, project.id).status.value == "opened"
    login(client, first.user)
    steps = _next_steps(client.get(f"/tender/{project.id}").get_data(as_text=True))
    assert "已开标：等待评标委员会评审" in steps[0]
    login(client, world.agency)
    page = client.get(f"/tender/{project.id}").get_data(as_text=True)
    assert 'id="next-step-evaluation"' in page and "开启评审室" in page and "/evaluation/" in page
    assert 'id="next-step-evaluation"' in client.get(f"/tender/{project.id}/hall").get_data(as_text=True)
