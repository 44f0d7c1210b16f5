"""Demo: the closed 学生直饮水设备 contract accepted by caigou1 and the winner (both signed the report with
their demo keys), its payment falling due, and a first payment reported by the finance intranet."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from core import clock
from core.db import db
from core.demo import seeder

FINANCE_SENDER = "ts-finance-intranet"


@seeder("acceptance", after="evaluation")
def seed_acceptance(context: dict) -> None:
    from contracts import acceptance
    from contracts.models import Contract
    from contracts.service import document_of
    from contracts.transitions import ContractStatus

    buyer = context.get("users", {}).get("caigou1")
    if buyer is None:
        return
    contract = db.session.scalar(select(Contract).where(Contract.status == ContractStatus.SIGNED,
                                                        Contract.purchaser_org_id == buyer.org_id)
                                 .order_by(Contract.signed_at))
    supplier = next((u for name, u in sorted(context["users"].items())
                     if name.startswith("gys") and contract is not None and u.org_id == contract.supplier_org_id), None)
    if contract is None or supplier is None:
        return
    real_now = clock.now()
    with clock.clock.frozen(min(contract.signed_at + timedelta(days=10), real_now - timedelta(days=1))):
        day = clock.to_local(clock.now()).date()
        row = acceptance.organise_acceptance(buyer, contract.id, "purchaser", [supplier.id], day)
        items = [{"ref": str(i.get("ref", "")), "accepted_quantity": i.get("quantity"), "passed": True, "note": ""}
                 for i in document_of(contract).get("items") or []] or [{"ref": "", "passed": True}]
        acceptance.record_result(buyer, row.id, items, day - timedelta(days=1), day - timedelta(days=2),
                                 "设备已送达各校并安装调试完毕，水质检测合格，验收小组一致同意验收合格。")
        _sign(buyer, "signer", row)
        _sign(supplier, "supplier", row)
    _first_payment(context, contract)


def _sign(user, kind: str, row) -> None:
    import crypto
    from contracts.acceptance import sign_report
    from crypto.encoding import b64u_encode
    from tender.demo import demo_keys

    signature = crypto.sign_document(demo_keys(user, kind).signing, bytes.fromhex(row.sha256))
    sign_report(user, row.id, row.sha256, b64u_encode(signature))


def _first_payment(context: dict, contract) -> None:
    """The finance intranet, registered with a demo key (instance/demo-keys/ts-finance-intranet.pem, for
    anyone who wants to send more), reports the first 60 % paid."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from contracts import payments
    from core import exchange

    key = ed25519.Ed25519PrivateKey.generate()
    folder = Path(current_app.instance_path) / "demo-keys"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{FINANCE_SENDER}.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    exchange.register_sender(context["users"].get("admin"), FINANCE_SENDER, "泰顺县财政局（内网）",
                             payments.INTRANET_CHANNEL, "finance", "ed25519", pem)
    body = {"contract_number": contract.number, "amount_fen": contract.amount_fen * 60 // 100,
            "paid_on": clock.to_local(clock.now()).date().isoformat(), "voucher": f"GK{contract.id:06d}-1"}
    envelope = exchange.make_envelope(FINANCE_SENDER, payments.INTRANET_CHANNEL, "contract.payment", body)
    payments.receive(exchange.sign_envelope(key, envelope))
