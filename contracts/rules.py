"""The contracts' region rules: who takes part in an acceptance, whether its result is published, and
how soon the supplier is paid."""

from __future__ import annotations

from core.i18n import N_
from region_rules.keys import RuleKey, RuleType, declare

INT, BOOL = RuleType.INT, RuleType.BOOL

CONTRACT_RULES = declare("contracts", N_("合同、验收与付款"), [
    # 财库〔2016〕205号 asks experts or a testing body for "大型或者复杂的" projects and leaves the amount to
    # the regions; 1,000,000 yuan is the line many provinces draw.
    RuleKey("contract.acceptance_expert_threshold_fen", INT, 100_000_000,
            N_("合同金额达到此数额（分）的，验收须邀请专家或第三方检测机构参加"),
            "财库〔2016〕205号第三条（数额由地方规定）", 0, 100_000_000_000),
    RuleKey("contract.acceptance_notice_required", BOOL, False, N_("验收结果须向社会公告"),
            "财库〔2016〕205号第三条（公共服务项目验收结果应当向社会公告）"),
    RuleKey("contract.sme_payment_days", INT, 30, N_("向中小企业支付款项的期限（自验收合格之日起，日）"),
            "保障中小企业款项支付条例第八条", 1, 60),
    RuleKey("contract.payment_days", INT, 30, N_("向其他供应商支付款项的期限（自验收合格之日起，日）"),
            "政府采购法第四十三条（按合同约定）", 1, 180),
])
