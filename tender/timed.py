"""Tender's timed steps (the chronograph's `tender-sweep`, every 10 s): bidding opens at the notice
time, submission closes at the deadline, openings progress as shares arrive, and after the opening the
replaced bids' files go where the region's rules allow. The hall is told after each project's commit."""

from __future__ import annotations

from sqlalchemy import exists, select

from core import rooms
from core.chronograph import Sweep, TimedStep
from tender.models import Bid, Project
from tender.transitions import ProjectStatus

SWEEP_SECONDS = 10.0


def _announce(key: str):
    # through the kit's room registry: tender.events (the hall's room) reaches this module through the hall
    return lambda project_id, _outcome: rooms.announce("/opening", project_id, key)


def _open_for_bids(project: Project) -> bool:
    from tender.service import open_for_bids

    return open_for_bids(project)


def _close_submission(project: Project) -> bool:
    from tender.opening import close_submission

    return close_submission(project.id)


def _progress_opening(project: Project) -> bool:
    from core.db import db
    from tender.opening import progress_opening

    return progress_opening(project.id, after_each=db.session.commit)  # each opened bid is kept at once


def _remove_superseded_files(project: Project) -> list[str] | None:
    from tender.bids import remove_superseded_files

    return remove_superseded_files(project.id) or None


def _has_superseded_files(_now):
    from tender.bids import BEFORE_OPENING, CLOSED_UNOPENED

    return Project.status.not_in(BEFORE_OPENING) & exists(select(Bid.id).where(
        Bid.project_id == Project.id, Bid.status.in_(CLOSED_UNOPENED), Bid.file_removed_at.is_(None)))


OPEN_BIDDING = TimedStep("tender.open_for_bids", Project, _open_for_bids, ProjectStatus.PUBLISHED,
                         ProjectStatus.BIDDING, due=Project.notice_at, then=_announce("bidding"), key="bidding")
CLOSE_SUBMISSION = TimedStep("tender.close_submission", Project, _close_submission, ProjectStatus.BIDDING,
                             ProjectStatus.OPENING, due=Project.deadline, then=_announce("closed"), key="closed")
PROGRESS_OPENING = TimedStep("tender.progress_opening", Project, _progress_opening, ProjectStatus.OPENING,
                             then=_announce("progressed"), key="progressed", lock=False)
REMOVE_SUPERSEDED_FILES = TimedStep("tender.remove_superseded_files", Project, _remove_superseded_files,
                                    where=_has_superseded_files, key="superseded_files_removed")

OPENING_STEPS = (OPEN_BIDDING, CLOSE_SUBMISSION, PROGRESS_OPENING)
SWEEP = Sweep("tender-sweep", SWEEP_SECONDS, (*OPENING_STEPS, REMOVE_SUPERSEDED_FILES))
