"""Demo credit data, seeded after the evaluation demo (it uses its award waiting for confirmation):

- guikou (finance) imported a list file: a serious procurement violation of the first candidate of
  泰顺县罗阳镇中心小学多媒体教室设备采购 (so caigou1's confirmation of it is refused, code
  winner_credit_barred; one refused attempt is already on record), a dishonest-debtor record with the
  name of 温州华瑞办公设备有限公司 under another credit code, and two national records of firms that
  are not on the platform;
- gys2 (华瑞办公) answered its warning card with a statement and its business licence ("the record is
  another firm's"), waiting for caijian (supervisor) to decide on 诚信预警;
- the barred supplier's card (banned proposed) is open for its statement.
"""

from __future__ import annotations

import io

from sqlalchemy import select

from accounts.demo import demo_uscc
from core.db import db
from core.demo import seeder
from registry.credit import importer, service

HEADER = "记录类别,名称,统一社会信用代码,地址,案件,处罚依据,处罚结果,记录日期,发生地,处罚截止日期,来源\n"


def _pdf(title: str) -> bytes:
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    from core.pdf import cjk_font

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A5)
    page.setFont(cjk_font(), 14)
    page.drawString(40, 480, f"{title}（演示扫描件）")
    page.save()
    return out.getvalue()


def _pending_winner():
    """The first candidate of the evaluation demo's award still waiting for the purchaser, with the award."""
    from evaluation.models import Award
    from evaluation.reporting import current_report
    from evaluation.room import committee_for_lot
    from evaluation.transitions import AwardStatus
    from tender.models import Bid

    award = db.session.scalar(select(Award).where(Award.status == AwardStatus.PENDING).order_by(Award.id))
    if award is None:
        return None, None, None
    first = next(c for c in current_report(committee_for_lot(award.lot_id)).candidates if c.position == 1)
    return db.session.get(Bid, first.bid_id).org, award, first


@seeder("registry.credit", after="evaluation")
def seed_credit(context: dict) -> None:
    users, orgs = context.get("users", {}), context.get("orgs", {})
    suppliers = orgs.get("suppliers", [])
    if "guikou" not in users or len(suppliers) < 3:
        return
    barred, award, first = _pending_winner()
    barred = barred or suppliers[2]
    named = suppliers[1]  # gys2: a record with its name under another code
    rows = [
        f"政府采购严重违法失信行为,{barred.name},{barred.uscc},浙江省温州市泰顺县,在某县政府采购项目中提供虚假材料谋取中标,"
        f"政府采购法第七十七条第一款第一项,罚款 5000 元，列入不良行为记录名单，一年内禁止参加政府采购活动,2026-03-16,"
        f"浙江省温州市,2027-03-15,中国政府采购网",
        f"失信被执行人,{named.name},{demo_uscc(97)},浙江省温州市鹿城区,（2025）浙0302执1234号,"
        f"民事诉讼法第二百六十二条,有履行能力而拒不履行生效法律文书确定义务,2026-01-20,浙江省温州市,,中国执行信息公开网",
        f"重大税收违法失信主体,温州市某某贸易有限公司,{demo_uscc(98)},浙江省温州市瓯海区,虚开增值税专用发票,"
        f"税收征收管理法第六十三条,追缴税款并处罚款,2025-09-01,浙江省温州市,,信用中国",
        f"政府采购严重违法失信行为,杭州某某科技有限公司,{demo_uscc(99)},浙江省杭州市,恶意串通,政府采购法第七十七条,"
        f"禁止参加政府采购活动二年,2025-06-10,浙江省杭州市,2027-06-09,中国政府采购网",
    ]
    report = importer.import_records_file((HEADER + "\n".join(rows) + "\n").encode(), "演示失信名单.csv",
                                          users["guikou"])
    if not report.ok:
        raise RuntimeError(f"credit demo list refused: {report.problems}")
    supplier_users = {u.org_id: u for name, u in users.items() if name.startswith("gys")}
    (card,) = [c for c in service.cards_of_org(named.id) if c.status.value == "open"]
    service.answer_card(supplier_users[named.id], card.id,
                        "该记录的统一社会信用代码与本公司不同，系同名的另一家企业；本公司无任何被执行案件。"
                        "附本公司营业执照，请核实。", [("营业执照.pdf", io.BytesIO(_pdf("营业执照")))])
    if award is not None:  # the purchaser's attempt to confirm the barred winner, refused and on record
        from core.errors import DomainError
        from evaluation import service as evaluation

        try:
            evaluation.confirm_winner(users["caigou1"], award.id, first.id)
        except DomainError as exc:
            if exc.code != service.BARRED_CODE:
                raise
        else:
            raise RuntimeError("the demo's barred winner was confirmed")
    db.session.flush()
    print(f"  演示诚信 Demo credit: {barred.name} 列入政府采购严重违法失信名单（caigou1 确定其中标被拒绝）; "
          f"gys2 已对警示卡作出陈述，待 caijian 在 诚信预警 决定")
