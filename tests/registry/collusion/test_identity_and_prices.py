"""The identity graph (people, phones, representatives, addresses, bank accounts shared between suppliers,
through third parties too), the price signals (identical, progressions, cardinal R024/R058 fences) and
what an opened file's metadata shows."""

from __future__ import annotations

import zipfile

import pytest


def _supplier_profile(org, *, rep="张三", address="泰顺县罗阳镇", account="6222000000000000001", phone=None):
    from core import clock
    from core.db import db
    from registry.suppliers.models import SizeClass, Supplier, SupplierContact

    profile = Supplier(org_id=org.id, legal_representative=rep, address=address, size_class=SizeClass.SMALL,
                       bank_name="农业银行", bank_account_name=org.name, bank_account_number=account,
                       created_at=clock.now())
    db.session.add(profile)
    db.session.flush()
    if phone:
        db.session.add(SupplierContact(supplier_id=profile.id, name="联系人", phone=phone))
    db.session.flush()
    return profile


def test_three_bidders_one_group_through_a_third_party(app_ctx, make_user):
    """A and B share a person's phone (an account each); B and C pay from one bank account; D stands alone.
    Bidders A, C and D: A and C are one group (through B, who did not bid), D is not in it."""
    from core.db import db
    from registry.collusion import identity

    a, b, c, d = (make_user("supplier", org_kind="supplier") for _ in range(4))
    a.phone, b.phone, c.phone, d.phone = "13800001111", "+8613800001111", "13900002222", "13700003333"
    _supplier_profile(a.org, rep="甲", address="罗阳镇一号", account="1001")
    _supplier_profile(b.org, rep="乙", address="罗阳镇二号", account="6222 0000 0000 7777")
    _supplier_profile(c.org, rep="丙", address="罗阳镇三号", account="6222000000007777", phone="0577-6000000")
    _supplier_profile(d.org, rep="丁", address="罗阳镇四号", account="1004")
    identity.refresh([b.org_id])  # the third party's keys, as the daily sweep rebuilds them
    db.session.commit()
    groups = identity.groups_among([a.org_id, c.org_id, d.org_id])
    assert [g["members"] for g in groups] == [sorted([a.org_id, c.org_id])]
    assert b.org_id in groups[0]["group"]
    kinds = {link["kind"]: link for link in groups[0]["links"]}
    assert kinds["phone"]["value"] == "13800001111" and kinds["bank_account"]["value"] == "6222000000007777"
    assert identity.group_of(d.org_id)["members"] == [d.org_id]


def test_identity_group_of_a_lot_is_flagged(app_ctx, make_user):
    from registry.collusion import signals
    from registry.collusion.identity import groups_among

    a, b = make_user("supplier", org_kind="supplier"), make_user("supplier", org_kind="supplier")
    _supplier_profile(a.org, rep="王五", address="泰顺县 罗阳镇 新城路 8 号")
    _supplier_profile(b.org, rep="李四", address="泰顺县罗阳镇新城路8号")
    group = groups_among([a.org_id, b.org_id])
    assert group and group[0]["links"][0]["kind"] == "address"
    assert signals.STRONG == "strong"


@pytest.mark.parametrize(("prices", "form"), [
    ([900_000_00, 910_000_00, 920_000_00], "arithmetic"),
    ([800_000_00, 840_000_00, 882_000_00, 926_100_00], "geometric"),
    ([900_000_00, 913_000_00, 920_000_00], None),
    ([900_000_00, 910_000_00], None),
])
def test_price_progressions(prices, form):
    from registry.collusion.signals import BidFacts, price_progressions

    bids = [BidFacts(bid_id=i, org_id=i, name=str(i), price_fen=p) for i, p in enumerate(prices)]
    found = price_progressions(bids, 3, 5)
    assert [s.evidence["form"] for s in found] == ([form] if form else [])
    if form:
        assert found[0].evidence["prices_fen"] == sorted(prices)[-len(found[0].evidence["prices_fen"]):]


def test_identical_prices_and_cardinal_fences():
    from registry.collusion.cardinal import fences
    from registry.collusion.signals import BidFacts, identical_prices, price_gaps

    bids = [BidFacts(1, 1, "a", 500_000_00), BidFacts(2, 2, "b", 500_000_00), BidFacts(3, 3, "c", 530_000_00)]
    assert [s.evidence["price_fen"] for s in identical_prices(bids)] == [500_000_00]
    history = [0.04, 0.05, 0.05, 0.06, 0.06, 0.07, 0.07, 0.08]  # Q1 0.05, Q3 0.07 (linear): fences 0.02, 0.10
    low, high = fences(history)
    assert low == pytest.approx(0.02) and high == pytest.approx(0.10)
    hugging = [BidFacts(1, 1, "a", 1_000_000), BidFacts(2, 2, "b", 1_010_000), BidFacts(3, 3, "c", 1_200_000)]
    (r024,) = price_gaps(hugging, history, 8, 0, 0)
    assert r024.kind == "price_close_to_lowest" and r024.evidence["difference"] == 0.01
    assert [b.bid_id for b in r024.bids] == [1, 2]
    discounted = [BidFacts(1, 1, "a", 1_000_000), BidFacts(2, 2, "b", 1_150_000)]
    assert [s.kind for s in price_gaps(discounted, history, 8, 0, 0)] == ["heavily_discounted"]
    assert price_gaps(hugging, history[:5], 8, 0, 0) == []  # too little history: no fence
    assert [s.kind for s in price_gaps(hugging, [], 8, 20, 0)] == ["price_close_to_lowest"]  # the region's fixed 2%


def test_document_metadata_of_docx_and_pdf(tmp_path):
    from registry.collusion.documents import read_opened

    folder = tmp_path / "bid"
    (folder / "files").mkdir(parents=True)
    with zipfile.ZipFile(folder / "files" / "投标函.docx", "w") as z:
        z.writestr("docProps/core.xml", '<c xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:cp="cp">'
                   "<dc:creator>王小明</dc:creator><cp:lastModifiedBy>admin</cp:lastModifiedBy></c>")
        z.writestr("docProps/app.xml", '<Properties xmlns="x"><Template>投标模板.dotx</Template>'
                   "<Application>WPS Office</Application><AppVersion>12.1</AppVersion></Properties>")
        z.writestr("word/document.xml", "<w:document><w:p><w:t>投标函正文</w:t></w:p></w:document>")
    (folder / "files" / "资质.pdf").write_bytes(
        b"%PDF-1.4\n1 0 obj <</Author (\\(Li\\) Lei) /Creator <FEFF5F200031> /Producer (Skia/PDF m120)>>\nendobj\n")
    opened = read_opened(folder)
    meta = {f.name: f.metadata for f in opened.files}
    assert meta["files/投标函.docx"] == {"author": "王小明", "last_modified_by": "admin", "template": "投标模板.dotx",
                                       "tool": "WPS Office", "tool_version": "12.1"}
    assert meta["files/资质.pdf"] == {"author": "(Li) Lei", "tool": "张1", "producer": "Skia/PDF m120"}
    assert "投标函正文" in opened.text and opened.unread == ["files/资质.pdf"]


def test_serial_loser_is_a_top_tenderer_with_an_outlying_win_ratio():
    """cardinal R025: 20 tenderers bid 4–6 times and win about half; org 99 bid 12 times and won once."""
    from registry.collusion.cardinal import losers

    history = {i: (4 + i % 3, 2 + i % 2) for i in range(1, 21)}
    history[99] = (12, 1)
    history[98] = (12, 6)  # as busy, winning half: not flagged
    (flag,) = losers(history, [99, 98, 1], 75, 8)
    assert flag["org"] == 99 and flag["ratio"] == round(1 / 12, 4) and flag["bids_threshold"] <= 12
    assert losers(history, [99], 75, 100) == []  # fewer tenderers than the region's minimum: no fence


def test_text_every_bidder_shares_is_left_out_of_the_comparison():
    """Four bids filling in the same public form (the tender's requirements) are not alike for that; two of
    them copying one technical response are, form or not."""
    import random

    from registry.collusion import text as text_sim
    from registry.collusion.signals import BidFacts, near_duplicates

    def technical_text(seed: int, n: int) -> str:  # n characters of the 3,500 commonest
        rng = random.Random(seed)
        return "".join(chr(0x4E00 + rng.randrange(3500)) for _ in range(n))

    def edited(text: str, seed: int) -> str:
        rng = random.Random(seed)
        chars = list(text)
        for i in rng.sample(range(len(chars)), len(chars) // 100):
            chars[i] = "的"
        return "".join(chars)

    form = technical_text(40, 3000)
    own = [technical_text(50 + i, 600) for i in range(4)]
    copied = technical_text(60, 3000)
    texts = [form + own[0] + copied, form + own[1] + edited(copied, 3), form + own[2], form + own[3]]
    bids = [BidFacts(i, i, f"b{i}", None, sketch=text_sim.sketch(t, 5)) for i, t in enumerate(texts)]
    found = near_duplicates(bids, 60, 5, 50)
    assert [[b.bid_id for b in s.bids] for s in found] == [[0, 1]]
    assert found[0].evidence["common_min_bids"] == 3 and found[0].evidence["common_left_out"] > 0
    kept_form = near_duplicates(bids, 60, 5, 100)  # nothing is common at 100 %: the form makes 2 and 3 alike
    assert [[b.bid_id for b in s.bids] for s in kept_form] == [[0, 1], [2, 3]]


def test_one_account_paying_two_bidders_deposits():
    from registry.collusion.signals import BidFacts, shared_deposit_accounts

    bids = [BidFacts(1, 10, "a", None), BidFacts(2, 20, "b", None), BidFacts(3, 30, "c", None)]
    accounts = {"6222000011112222": [10, 30], "6222000033334444": [20], "6222999": [20, 40]}  # 40 bid elsewhere
    (flag,) = shared_deposit_accounts(bids, accounts)
    assert flag.kind == "same_deposit_account" and flag.org_ids == [10, 30]
    assert flag.evidence == {"account": "6222000011112222"}
