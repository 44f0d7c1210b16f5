"""Demo data of the agency registry: 温州正信 listed with its particulars and six staff, and — once the
evaluation demo has finished its projects — ratings of it by the purchaser, experts and suppliers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.db import db
from core.demo import seeder
from core.transitions import move
from registry.agencies import ratings
from registry.agencies.models import AgencyListing, AgencyStaff, ListingStatus

STAFF = [("周文博", "0312", "高级工程师"), ("陈思远", "1128", "经济师"), ("林晓燕", "2046", "造价工程师"),
         ("王建国", "3371", "工程师"), ("郑丽娟", "504X", "会计师"), ("吴海涛", "6619", "助理工程师")]


@seeder("agencies")
def seed_agencies(context: dict) -> None:
    org = context.get("orgs", {}).get("agency")
    if org is None:
        return
    now = clock.now()
    listing = AgencyListing(org_id=org.id, region_code=org.region_code, registered_at=now - timedelta(days=400),
                            updated_at=now - timedelta(days=30), legal_rep="周正信",
                            address="温州市鹿城区车站大道 88 号",
                            contact_name="周经办", contact_phone="0577-88886666", email="zhengxin@example.cn",
                            scope="货物、服务和工程类政府采购项目的代理")
    listing.staff = [AgencyStaff(name=n, id_last4=i, title=t, added_at=now - timedelta(days=400)) for n, i, t in STAFF]
    db.session.add(listing)
    db.session.flush()
    move(listing, ListingStatus.LISTED)
    listing.listed_at = now - timedelta(days=399)
    db.session.flush()
    context["agency_listing"] = listing


COMMENTS = {"expert": "评审组织有序，资料准备齐全。", "supplier": "答疑及时，流程公开透明。",
            "purchaser": "服务专业，进度把控到位。"}


@seeder("agency_ratings", after="evaluation")
def seed_ratings(context: dict) -> None:
    """Each finished project's bidders rate the agency two hours after it ended and its experts two hours
    after their evaluation ended (caigou1 is left to rate through the page)."""
    from tender.models import Project
    from tender.transitions import ProjectStatus

    users = context.get("users", {})
    raters = [u for name, u in sorted(users.items()) if name.startswith(("zj", "gys"))]
    finished = db.session.scalars(select(Project).where(Project.status == ProjectStatus.CLOSED)
                                  .order_by(Project.id)).all()
    for project in finished:
        ended = ratings.finished_at(project) or clock.now()
        for n, user in enumerate(u for u in raters if ratings.rater_kind(u, project)):
            kind = ratings.rater_kind(user, project)
            began = ratings.evaluation_ended_at(user, project) if kind == "expert" else ended
            with clock.clock.frozen((began or ended) + timedelta(hours=2)):
                scores = {code: 5 - (n + i) % 2 for i, (code, _label) in enumerate(ratings.DIMENSIONS)}
                ratings.rate_agency(user, project.id, scores, COMMENTS[kind])
    db.session.flush()
