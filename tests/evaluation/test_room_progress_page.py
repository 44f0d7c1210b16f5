"""Issue 13 part 7: the room's progress counts the members expected to finish each stage; before anyone has
declared it showed "0/0" with five experts seated."""

from __future__ import annotations

import re
from datetime import timedelta

from tests_helpers import login


def test_progress_counts_the_seated_members_before_they_declare(room, client, clock):
    from core.db import db
    from evaluation import service

    clock.advance(timedelta(minutes=31))
    committee = service.open_evaluation(room.agency, room.lot.id)
    db.session.commit()
    login(client, room.agency)
    page = client.get(f"/evaluation/{committee.id}").get_data(as_text=True)
    progress = page[page.index('id="progress-list"'):page.index("</ul>", page.index('id="progress-list"'))]
    counts = re.findall(r'js-done">(\d+)</span>/(\d+)', progress)
    assert counts and all(total == "5" for _, total in counts), counts
