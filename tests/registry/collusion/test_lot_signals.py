"""The issue's "Done when": a planted pair of colluding bids (sealed on one device, near-identical
text, uploaded from one address) in a real sealed tender is flagged to the committee with its evidence,
and the honest bidders are not; the same files' metadata and identical files are caught; every flag is
a warning that changes no bid."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import timedelta

import pytest
from tender_helpers import sweep_with_keeper
from tests_helpers import login

HONEST_UA = ("Mozilla/5.0 (Windows NT 10.0) Chrome/131.0", "Mozilla/5.0 (Macintosh) Safari/17.1")
COLLUDER_UA = "Mozilla/5.0 (Windows NT 6.1) Chrome/109.0 biaoyun-seal"


def technical_text(seed: int, n: int = 6000) -> str:
    rng = random.Random(seed)
    words = ["交互式", "智能", "平板", "触控", "分辨率", "质保", "培训", "安装", "调试", "售后", "响应", "服务", "备件",
             "网络", "安全", "系统", "接口", "亮度", "对比度", "功耗", "认证", "节能", "环保", "运维"]
    return "".join(rng.choice(words) + ("。" if rng.random() < 0.1 else "") for _ in range(n))


def edited(text: str, seed: int, share: float = 0.01) -> str:
    rng = random.Random(seed)
    chars = list(text)
    for i in rng.sample(range(len(chars)), int(len(chars) * share)):
        chars[i] = "的"
    return "".join(chars).replace("。", "，", 3)


def docx(author: str, company: str, body: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("docProps/core.xml", '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
                   'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                   f"<dc:creator>{author}</dc:creator><cp:lastModifiedBy>{author}</cp:lastModifiedBy>"
                   "</cp:coreProperties>")
        z.writestr("docProps/app.xml", '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
                   f'extended-properties"><Template>Normal.dotm</Template><Company>{company}</Company>'
                   "<Application>Microsoft Office Word</Application></Properties>")
        z.writestr("word/document.xml", '<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>'
                   f"{body}</w:t></w:r></w:p></w:body></w:document>")
    return out.getvalue()


def seal(project, lot, supplier, price_fen: int, files: list[tuple[str, bytes]], self_key) -> bytes:
    """A container sealed as the browser or `python -m crypto seal` does; `self_key` is the sealing
    device's own key pair (the bidder's stanza)."""
    import crypto
    from tender.bids import bidder_id_of

    out = io.BytesIO()
    summary = {"bidder": supplier.user.org.name, "lot": str(lot.number), "price_fen": price_fen, "delivery_days": 30}
    crypto.seal(lot.policy, supplier.sign_key, self_key.public_key(), summary,
                [(name, io.BytesIO(data)) for name, data in files], out, bidder_id_of(supplier.user.org),
                chunk_size=65536)
    return out.getvalue()


def upload(client, supplier, project, lot, sealed: bytes, ip: str, user_agent: str):
    login(client, supplier.user)
    response = client.post(f"/api/v1/tender/projects/{project.id}/lots/{lot.id}/bids", data=sealed,
                           content_type="application/octet-stream", headers={"User-Agent": user_agent},
                           environ_base={"REMOTE_ADDR": ip})
    assert response.status_code == 201, response.get_json()
    client.post("/logout")


def run_sweep(app):
    from core import chronograph

    return chronograph.run_sweep("collusion-sweep")


@pytest.fixture
def planted(app, world, project, client, clock):
    """sup0 and sup1 collude: one sealing device (sup0's stanza key), one address, the same Word author,
    near-identical text and a shared attachment. sup2 and sup3 bid honestly, each from its own office."""
    from core.db import db

    lot = project.lots[0]
    text = technical_text(1)
    shared_sheet = b"\xe5\x8e\x82\xe5\xae\xb6\xe6\x8e\x88\xe6\x9d\x83\xe4\xb9\xa6" * 40  # 厂家授权书, byte for byte
    s0, s1, s2, s3 = world.suppliers
    ip, ua = "10.8.0.5", COLLUDER_UA
    bids = [
        (s0, 90_000_00, [("技术响应.txt", text.encode()), ("授权书.txt", shared_sheet),
                         ("商务.docx", docx("王小明", "某某咨询工作室", "商务响应"))], s0.enc_key, ip, ua),
        (s1, 91_234_00, [("技术响应.txt", edited(text, 2).encode()), ("授权书.txt", shared_sheet),
                         ("商务.docx", docx("王小明", "某某咨询工作室", "商务响应书"))], s0.enc_key, ip, ua),
        (s2, 87_650_00, [("技术响应.txt", technical_text(3).encode()),
                         ("商务.docx", docx("李娜", "丙公司", "商务响应"))], s2.enc_key, "36.22.1.9", HONEST_UA[0]),
        (s3, 93_410_00, [("技术响应.txt", technical_text(4).encode()),
                         ("商务.docx", docx("赵强", "丁公司", "商务"))], s3.enc_key, "115.3.7.20", HONEST_UA[1]),
    ]
    clock.advance(timedelta(days=1))
    for supplier, price, files, key, ip, ua in bids:
        upload(client, supplier, project, lot, seal(project, lot, supplier, price, files, key), ip, ua)
    clock.set(project.deadline + timedelta(seconds=5))
    sweep_with_keeper(world)
    db.session.expire_all()
    assert lot.status.value == "opened"
    return lot


def test_colluding_pair_is_flagged_with_evidence_and_honest_pair_is_not(app, world, planted):
    from sqlalchemy import select

    from core.db import db
    from registry.collusion.models import CollusionFlag, CollusionRun
    from tender.models import Bid

    assert db.session.scalar(select(CollusionRun.id)) is None  # not inside the opening's transaction
    report = run_sweep(app)
    assert report["computed"] == [planted.id]
    assert sorted(report["identity_refreshed"]) == sorted(s.user.org_id for s in world.suppliers)
    assert run_sweep(app) == {"computed": [], "identity_refreshed": []}  # once per lot; keys fresh for a day
    pair = sorted(s.user.org_id for s in world.suppliers[:2])
    honest = {s.user.org_id for s in world.suppliers[2:]}
    flags = db.session.scalars(select(CollusionFlag).where(CollusionFlag.lot_id == planted.id)).all()
    kinds = {f.kind: f for f in flags}
    for kind in ("same_sealing_device", "same_network_address", "same_user_agent", "near_duplicate_text",
                 "identical_file", "same_document_metadata"):
        assert kind in kinds, kind
        assert kinds[kind].org_ids == pair, (kind, kinds[kind].evidence)
    for flag in flags:
        assert not honest & set(flag.org_ids), (flag.kind, flag.evidence)
    text = kinds["near_duplicate_text"].evidence
    assert text["similarity"] * 100 >= text["threshold_percent"] == 60
    assert kinds["same_network_address"].evidence == {"ip": "10.8.0.5"}
    assert kinds["same_sealing_device"].evidence["self_recipient"]
    meta = {m["field"]: m["value"] for m in kinds["same_document_metadata"].evidence["matches"]}
    assert meta["author"] == "王小明" and meta["company"] == "某某咨询工作室" and "template" not in meta
    assert kinds["identical_file"].evidence["files"][0]["name"].endswith("授权书.txt")
    # a warning, never an exclusion: every bid is still opened
    assert {b.status.value for b in db.session.scalars(select(Bid))} == {"opened"}
    run = db.session.scalar(select(CollusionRun))
    assert run.bids == 4 and run.rules_version == 0


def test_the_committee_sees_the_flags_in_its_room_and_others_do_not(app, world, planted, client, clock, make_user):
    """A member of the lot's committee reads the flags and evidence (API and room page); a bidder does not."""
    from core.db import db
    from evaluation.models import Committee, CommitteeMember
    from tender.transitions import EvalMethod

    run_sweep(app)
    expert = make_user("purchaser", org_kind="purchaser", username="rep1")  # the purchaser's representative
    committee = Committee(project_id=planted.project_id, lot_id=planted.id, eval_method=EvalMethod.SCORING,
                          rules_json="{}", opens_at=clock.now(), created_at=clock.now())
    db.session.add(committee)
    db.session.flush()
    db.session.add(CommitteeMember(committee_id=committee.id, user_id=expert.id, is_purchaser_rep=True))
    db.session.commit()
    login(client, expert)
    data = client.get(f"/api/v1/collusion/lots/{planted.id}").get_json()
    assert data["computed"] is True and data["bids"] == 4
    by_kind = {f["kind"]: f for f in data["flags"]}
    names = {s.user.org.name for s in world.suppliers[:2]}
    assert set(by_kind["near_duplicate_text"]["bidders"]) == names
    assert by_kind["near_duplicate_text"]["evidence"]["threshold_percent"] == 60
    room = client.get(f"/evaluation/{committee.id}")
    assert room.status_code == 200
    html = room.get_data(as_text=True)
    assert 'id="collusion-signals"' in html and "同一加密设备" in html and "10.8.0.5" in html
    assert "王小明" in html and "提示阈值 60%" in html
    client.post("/logout")
    login(client, world.suppliers[2].user)
    refused = client.get(f"/api/v1/collusion/lots/{planted.id}")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "collusion_forbidden"


def test_supervisor_lists_flags_and_recomputes(app, world, planted, client, make_user):
    run_sweep(app)
    supervisor = make_user("supervisor", username="watch")
    login(client, supervisor)
    page = client.get("/collusion/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "同一加密设备" in html and "10.8.0.5" in html and "文本相似度" in html
    flags = client.get("/api/v1/collusion/flags").get_json()
    assert {f["kind"] for f in flags} >= {"same_sealing_device", "near_duplicate_text"}
    detail = client.get(f"/collusion/flags/{flags[0]['id']}")
    assert detail.status_code == 200
    assert client.get(f"/collusion/suppliers/{world.suppliers[0].user.org_id}").status_code == 200


def test_honest_lot_raises_no_flag(app, world, project, client, clock):
    from sqlalchemy import select

    from core.db import db
    from registry.collusion.models import CollusionFlag

    lot = project.lots[0]
    clock.advance(timedelta(days=1))
    prices = (87_650_00, 90_120_00, 93_410_00, 94_000_00)
    for i, (supplier, price) in enumerate(zip(world.suppliers, prices, strict=True)):
        files = [("技术响应.txt", technical_text(10 + i).encode()), ("商务.docx", docx(f"作者{i}", f"公司{i}", "商务"))]
        upload(client, supplier, project, lot, seal(project, lot, supplier, price, files, supplier.enc_key),
               f"36.22.1.{i + 1}", HONEST_UA[i % 2] + f" build {i}")
    clock.set(project.deadline + timedelta(seconds=5))
    sweep_with_keeper(world)
    assert run_sweep(app)["computed"] == [lot.id]
    assert db.session.scalars(select(CollusionFlag)).all() == []
