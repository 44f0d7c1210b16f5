"""Socket.IO namespace `/opening`: a room per project, on the kit's `core.rooms.Room`.

Connections are authenticated by the Flask session, authorised per room (`hall.can_enter`), and
every state-changing event carries the page's CSRF token; every action goes through the same
service function as HTTP, and every announcement happens after the commit.

An announcement pushes each watcher's new view itself (`changed` with `state`, what
`hall.state_for` decides): the viewers of one audience — the same organisation with the same part
in the project (agency staff, overseer, custodian, registered supplier), in the same language — see
the same hall, so the state is rendered once per audience, not once per watcher.
"""

from __future__ import annotations

from flask_login import current_user

from core import rooms
from core.errors import ValidationError
from core.extensions import socketio
from tender.service import HALL_NAMESPACE

NAMESPACE = HALL_NAMESPACE


def room(project_id: int) -> str:
    return f"project:{project_id}"


def announce(project_id: int, what: str) -> None:
    """Push the hall's new state to everyone watching this project (call after commit)."""
    rooms.announce(NAMESPACE, project_id, what)


class HallRoom(rooms.Room):
    prefix, subject_field = "project", "project_id"
    refusal = ("hall_forbidden", "您无权进入本项目的开标大厅。")

    def load(self, subject_id: int):
        from tender.service import get_project

        return get_project(subject_id)

    def can_enter(self, user, subject) -> bool:
        from tender import hall

        return hall.can_enter(user, subject)

    def state_for(self, user, subject) -> dict:
        from tender import hall

        return hall.state_for(user, subject)

    def audience(self, user, subject) -> str:
        """What `hall.state_for` depends on besides the project: the organisation and its part in it."""
        from tender.service import is_custodian, is_overseer, is_project_staff, registration_of

        parts = (is_project_staff(user, subject), is_overseer(user), is_custodian(user, subject),
                 registration_of(user, subject) is not None)
        return f"org:{user.org_id}:" + "".join("1" if p else "0" for p in parts)

    def on_checkin(self, data):
        from tender import hall

        return self.act(data, self._on_project(data, hall.checkin), "checkin")

    def on_confirm(self, data):
        from tender import hall

        return self.act(data, self._on_project(data, hall.confirm_record), "confirm")

    def on_object(self, data):
        from tender import hall

        text = data.get("text", "") if isinstance(data, dict) else ""
        return self.act(data, self._on_project(data, lambda user, pid: hall.raise_objection(user, pid, text)),
                        "objection")

    def _on_project(self, data, write):
        """The action of an event on the project its payload names: the write, then that project announced."""
        pid = self.subject_id(data)

        def action() -> int | None:
            write(current_user, pid)
            return pid

        return action

    def on_answer(self, data):
        from tender import hall

        def answer() -> int:
            try:
                oid = int((data or {}).get("objection_id"))
            except (TypeError, ValueError, AttributeError):
                raise ValidationError("缺少异议编号。", code="bad_request") from None
            # the objection's own room, whatever the client said
            return hall.answer_objection(current_user, oid, (data or {}).get("answer", "")).project_id

        return self.act(data, answer, "answer")


def register_handlers() -> None:
    # Called by every create_app(): each app's Socket.IO server needs its own namespace object.
    socketio.on_namespace(HallRoom(NAMESPACE))
