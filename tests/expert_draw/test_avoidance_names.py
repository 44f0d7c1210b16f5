"""Issue 21: a declared relation is matched as an employer is — its name normalised (a space of any
width, full-width brackets), and the registry's organisation found by name or USCC when declared."""

from __future__ import annotations

from core.db import db
from expert_draw import service
from expert_draw.models import DrawExclusion
from registry.experts import service as library
from registry.experts.models import ExpertRelation, RelationKind


def _excluded(draw) -> dict[int, str]:
    return {e.expert_id: e.rule for e in db.session.query(DrawExclusion).filter_by(draw_id=draw.id)}


def test_a_relation_whose_name_differs_by_spacing_is_still_avoided(world, make_expert, make_request):
    fine = [make_expert(["B01"]) for _ in range(6)]
    spaced, wide, bracket = make_expert(["B01"]), make_expert(["B01"]), make_expert(["B01"])
    # as an import or an older form stored them: name only, no organisation id
    for expert, name in ((spaced, "温州新锐医疗器械 有限公司"), (wide, "温州新锐医疗器械\u3000有限公司"),
                         (bracket, "浙江云帆信息技术有限公司 ")):
        db.session.add(ExpertRelation(expert_id=expert.id, kind=RelationKind.RELATIVE_EMPLOYER, org_name=name))
    db.session.commit()
    draw = service.commit_draw(world.users["agency"], make_request(counts=(("B01", 5, 1),)))
    found = _excluded(draw)
    assert {found.get(e.id) for e in (spaced, wide, bracket)} == {"relation_party"}
    assert not set(found) & {e.id for e in fine}


def test_a_declared_relation_is_bound_to_the_registry_organisation_by_name_or_uscc(world, make_expert):
    org = world.orgs["s2"]
    org.uscc = "91330300MA2HXXXX1X"[:18]
    db.session.commit()
    expert = make_expert(["B01"])
    by_name = library.add_relation(expert, RelationKind.SHAREHOLDING, "温州新锐医疗器械 有限公司")
    by_code = library.add_relation(expert, RelationKind.RELATIVE_EMPLOYER, org.uscc.lower())
    unknown = library.add_relation(expert, RelationKind.RELATIVE_EMPLOYER, "某不在库的公司")
    assert (by_name.org_id, by_code.org_id, unknown.org_id) == (org.id, org.id, None)


def test_hand_picks_pass_the_same_avoidance_rules_or_are_refused_with_the_rule_named(world, make_expert,
                                                                                     make_request):
    from datetime import date

    import pytest

    from core.errors import DomainError
    from expert_draw.models import DrawRequest

    for _ in range(8):
        make_expert(["B01"])
    at_bidder = make_expert(["B01"], employer_org_id=world.orgs["s1"].id, employer_name="浙江云帆信息技术有限公司")
    too_old = make_expert(["B01"], birth=date(1955, 3, 1))
    fine = make_expert(["B01"])
    db.session.commit()

    def pick(expert):
        return service.HandPickIn(expert.id, "B01", "泰财采〔2026〕12号", "技术复杂，需要该领域专家")

    before = db.session.query(DrawRequest).count()
    for expert, rule, words in ((at_bidder, "employer_party", "现任职于采购人或报名、投标的供应商"),
                                (too_old, "age_limit", "超过年龄上限")):
        with pytest.raises(DomainError) as refused:
            make_request(counts=(("B01", 6, 1),), hand_picks=[pick(expert)], is_complex=True,
                         complex_reason="多学科影像系统")
        db.session.rollback()
        assert refused.value.code == "hand_pick_avoided" and words in refused.value.message
        assert refused.value.details["problems"] == [{"expert": expert.id, "rule": rule}]
    assert db.session.query(DrawRequest).count() == before  # nothing kept
    req = make_request(counts=(("B01", 6, 1),), hand_picks=[pick(fine)], is_complex=True,
                       complex_reason="多学科影像系统")
    assert [h.expert_id for h in req.hand_picks] == [fine.id]
