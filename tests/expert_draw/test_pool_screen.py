"""The pool built with the screened avoidance (rules run only for experts some rule may exclude) is exactly the
pool of the rules run for every expert of the scope, as build_pool did before, on a generated library that
touches every rule and its edges (age limit to the day, names that differ only in spaces or brackets, a
relation that ended just inside or outside the years of avoidance, leave overlapping or not)."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import String, select, type_coerce

from accounts.models import Region
from core.db import db
from expert_draw import rules, service
from expert_draw.models import DrawRequest, Invitation, InvitationKind, InvitationStatus, RequestStatus
from expert_draw.pool import LISTED, Pool, avoidance_context, build_pool, expert_facts
from expert_draw.rule_table import rule_for
from registry.experts.models import Expert, ExpertLeave, ExpertRelation, ExpertSpecialty, ExpertStatus
from registry.experts.service import region_subtree

EVALUATION = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def reference_pool(req: DrawRequest, counts, already: set[int]) -> Pool:
    """build_pool before the screen: facts loaded for every expert of the scope, every rule run for each."""
    rule = rule_for(req.region_code)
    ctx = avoidance_context(req, rule.values())
    codes = [c.code for c in counts]
    tried = []
    lineage = [r.code for r in db.session.get(Region, req.region_code).lineage()]
    for level, scope_code in enumerate(lineage):
        tried.append(scope_code)
        rows = db.session.execute(
            select(ExpertSpecialty.expert_id, ExpertSpecialty.specialty_code, type_coerce(Expert.status, String))
            .join(Expert, Expert.id == ExpertSpecialty.expert_id)
            .where(ExpertSpecialty.specialty_code.in_(codes), Expert.region_code.in_(region_subtree(scope_code)),
                   Expert.status.in_(LISTED))).all()
        order = list(dict.fromkeys(r[0] for r in rows))
        facts = expert_facts(req, ctx, Expert.id.in_(order))
        excluded, bad = [], set()
        for expert_id in order:
            reasons = rules.avoidance_reasons(facts[expert_id], ctx)
            if expert_id in already:
                reasons.append(("already_drawn", "本项目已抽取"))
            if reasons:
                bad.add(expert_id)
                excluded.extend((expert_id, code, detail[:200]) for code, detail in reasons)
        members = {c: [] for c in codes}
        for expert_id, code, _ in rows:
            if expert_id not in bad:
                members[code].append(expert_id)
        if all(len(members[c.code]) >= c.primary + c.backup for c in counts) or level == len(lineage) - 1:
            return Pool(scope_code, tried, members, excluded)
    raise AssertionError("unreachable")


def generated_library(world, rng: random.Random, n: int) -> list[int]:
    orgs = world.orgs
    employer_ids = [None] * 20 + [orgs[k].id for k in ("purchaser", "s1", "s2", "agency", "finance", "other_purchaser",
                                                      "outsider")]
    names = ["某大学"] * 8 + ["泰顺县人民医院", " 泰顺县人民医院 ", "浙江云帆信息技术有限公司",
             "浙江云帆信息技术 有限公司",
             "温州正信招标代理有限公司", "温州正信招标代理有限公司（分部）", "泰顺县财政局", "杭州博远教学装备有限公司"]
    births = [date(1955, 11, 29), date(1955, 11, 30), date(1955, 12, 1), date(1956, 1, 1), date(1956, 11, 30),
              date(1952, 2, 29), date(1960, 2, 29), date(1980, 6, 1), date(1990, 1, 1)]
    statuses = [ExpertStatus.ACTIVE] * 8 + [ExpertStatus.SUSPENDED, ExpertStatus.REMOVED]
    experts = []
    for i in range(n):
        expert = Expert(
            name=f"生成专家{i}", id_number=f"G{i:016d}X", birth_date=rng.choice(births), phone=f"137{i:08d}",
            region_code=rng.choice(["330329", "330329", "330326"]), employer_org_id=rng.choice(employer_ids),
            employer_name=rng.choice(names) + ("" if rng.random() < 0.6 else str(i % 7)),
            status=rng.choice(statuses), registered_at=EVALUATION - timedelta(days=400),
            admitted_at=EVALUATION - timedelta(days=400),
            specialty_rows=[ExpertSpecialty(specialty_code=c)
                            for c in rng.sample(["B01", "B03", "C01"], rng.randint(1, 3))])
        if expert.status != ExpertStatus.ACTIVE:
            expert.status_reason = "生成"
        experts.append(expert)
    db.session.add_all(experts)
    db.session.flush()
    party_ids = [orgs[k].id for k in ("purchaser", "s1", "s2", "outsider")]
    for expert in experts:
        if rng.random() < 0.15:
            kind = rng.choice(["past_employer", "relative_employer", "shareholding"])
            ends = [date(2023, 11, 29), date(2023, 11, 30), date(2023, 12, 1), date(2020, 1, 1)]
            db.session.add(ExpertRelation(
                expert_id=expert.id, kind=kind, org_id=rng.choice([*party_ids, None]), org_name=rng.choice(names),
                start_on=None, end_on=rng.choice(ends if kind == "past_employer" else [None, *ends]), note=""))
        if rng.random() < 0.08:
            start = rng.choice([date(2026, 11, 28), date(2026, 11, 30), date(2026, 12, 1)])
            db.session.add(ExpertLeave(expert_id=expert.id, start_on=start,
                                       end_on=start + timedelta(days=rng.randint(0, 3)), reason="",
                                       created_at=EVALUATION - timedelta(days=10)))
    db.session.commit()
    return [e.id for e in experts]


def busy_elsewhere(world, ids: list[int]) -> None:
    """The same purchaser's request last week and another one at the same time, each with seated experts."""
    for offset, purchaser in ((timedelta(0), world.orgs["other_purchaser"].id),
                              (timedelta(days=-7), world.orgs["purchaser"].id)):
        req = DrawRequest(project_title="其他项目", region_code="330329", purchaser_org_id=purchaser,
                          agency_org_id=world.orgs["agency"].id, method="public_tender", budget_fen=1,
                          evaluation_start_at=EVALUATION + offset,
                          evaluation_end_at=EVALUATION + offset + timedelta(hours=8),
                          place="x", opens_at=None, status=RequestStatus.COMPLETE,
                          created_by_id=world.users["agency"].id, created_at=EVALUATION - timedelta(days=20))
        db.session.add(req)
        db.session.flush()
        for k, expert_id in enumerate(ids):
            db.session.add(Invitation(request_id=req.id, expert_id=expert_id, specialty_code="B01",
                                      kind=InvitationKind.HAND_PICKED, status=InvitationStatus.CONFIRMED,
                                      reply_code=f"g{offset.days}-{k}", deadline_at=EVALUATION))
    db.session.commit()


@pytest.mark.parametrize("counts", [(("B01", 3, 1), ("C01", 2, 1)), (("B01", 200, 0), ("B03", 3, 0))],
                         ids=["county", "widened"])
def test_screened_pool_equals_every_rule_for_every_expert(world, make_request, counts, clock):
    rng = random.Random(20261204)
    ids = generated_library(world, rng, 600)
    busy_elsewhere(world, rng.sample(ids, 40))
    req = make_request(counts=counts)
    for expert_id in rng.sample(ids, 5):
        service.add_manual_exclusion(world.users["agency"], req, expert_id, "与本项目有利害关系")
    db.session.commit()
    already = set(rng.sample(ids, 10))
    wanted = [service.SpecialtyCount(*c) for c in counts]
    got = build_pool(req, rule_for(req.region_code), wanted, already)
    expected = reference_pool(req, wanted, already)
    assert got == expected
    assert (len(got.tried) > 1) == (counts[0][1] > 100)  # the second case widens to the city
    assert len(got.exclusions) > 50 and sum(map(len, got.members.values())) > 100  # both sides exercised
    assert {code for _, code, _ in got.exclusions} >= {
        "not_active", "age_limit", "on_leave", "employer_party", "relation_party", "past_employer_party",
        "agency_staff", "finance_staff", "same_purchaser", "overlap", "manual", "already_drawn"}
