"""Issue 14: tender's writes declare what the hall and the registered suppliers are told
(core.after_commit), so the page and the API cannot drift, and nothing is told before the commit."""

from __future__ import annotations

from core import after_commit
from core.db import db


def test_a_correction_tells_the_hall_and_the_registered_suppliers_only_once_committed(
        world, make_project, monkeypatch):
    from core import rooms, tasks
    from tender import service

    project = make_project()
    after_commit.run_followups()  # what the set-up's commits declared
    announced, messaged = [], []
    monkeypatch.setattr(rooms, "announce", lambda ns, pid, what: announced.append((ns, pid, what)))
    monkeypatch.setattr(tasks, "emit_message", lambda m, users, orgs, **_: messaged.append((m["title"], set(orgs))))

    service.publish_correction(world.agency, project.id, "更正公告", "第1标项数量由10台改为12台。")
    assert announced == [] and messaged == []
    db.session.rollback()
    assert after_commit.run_followups() == 0 and announced == [] and messaged == []

    service.publish_correction(world.agency, project.id, "更正公告", "第1标项数量由10台改为12台。")
    after_commit.commit()
    assert announced == [("/opening", project.id, "correction")]
    assert messaged == [("更正公告：更正公告", {s.user.org_id for s in world.suppliers})]


def test_registering_and_asking_are_announced_to_the_hall_whichever_door_they_came_through(
        world, make_project, monkeypatch):
    from core import rooms
    from tender import service

    project = make_project(register=1)
    after_commit.run_followups()
    announced = []
    monkeypatch.setattr(rooms, "announce", lambda ns, pid, what: announced.append((pid, what)))
    service.register_supplier(world.suppliers[0].user, project.id)  # already registered: nothing changes
    after_commit.commit()
    assert announced == []
    service.register_supplier(world.suppliers[1].user, project.id)
    service.ask_question(world.suppliers[1].user, project.id, "第2标项是否接受进口产品？")
    after_commit.commit()
    assert announced == [(project.id, "changed"), (project.id, "changed")]
