"""The JSON API under schemathesis (issue 11): every operation of the OpenAPI document, with valid and
invalid input, as a supplier and as an agency user. No answer may be a 5xx, and every refusal is the
API's error body with a stable code.

The requests go to the app in this process through schemathesis' WSGI transport (nothing leaves the
machine). The world is a tender run to a published result with a drafted contract and a challenge
with evidence, so that each operation is tried twice over: once with every parameter generated
(mostly unknown ids), once with its path ids pinned to real objects and the rest generated, which is
where a missing field or an odd value reaches the service code. The run is bounded (a few examples
per operation and mode, derandomized, no shrinking, no example database): about a minute here. An
exception inside the app fails the test with its traceback (the testing app propagates exceptions
instead of answering 500).
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import text

pytestmark = pytest.mark.slow

EXAMPLES = 5  # per operation, generation mode and pinning
CODE = re.compile(r"^[a-z][a-z0-9_]*$")
# Path parameter -> the table its id names (clarification_id names two: tender's and the committee's).
TABLES = {
    "project_id": "tender_project", "lot_id": "tender_lot", "doc_id": "tender_document", "bid_id": "tender_bid",
    "objection_id": "tender_objection", "request_id": "expert_draw_request", "draw_id": "expert_draw_draw",
    "invitation_id": "expert_draw_invitation", "committee_id": "evaluation_committee",
    "flag_id": "evaluation_score_flag", "report_id": "evaluation_report", "member_id": "evaluation_member",
    "award_id": "evaluation_award", "letter_id": "evaluation_award_letter", "contract_id": "contract",
    "challenge_id": "evaluation_challenge", "complaint_id": "evaluation_complaint",
    "file_id": "evaluation_evidence_file", "key_id": "public_key", "token_id": "api_token",
}
OTHER = {"stage": "qualification", "name": "技术响应.txt"}


def _first_id(table: str) -> int | None:
    from core.db import db

    return db.session.execute(text(f"SELECT min(id) FROM {table}")).scalar()  # table names from TABLES only


def _real_path_parameters(path: str, names: list[str]) -> dict[str, Any] | None:
    """Real values for every path parameter of `path`, or None when one has no object in the world."""
    values: dict[str, Any] = {}
    for name in names:
        if name in OTHER:
            values[name] = OTHER[name]
            continue
        table = TABLES.get(name)
        if name == "clarification_id":
            table = "tender_clarification" if path.startswith("/api/v1/tender/") else "evaluation_clarification"
        value = _first_id(table) if table else None
        if value is None:
            return None
        values[name] = value
    return values


def _seal_in_place(room, bid) -> None:
    """A real container at the bid's path (its file is what the header and file-key operations read)."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric import ec

    import crypto
    from crypto.policy import Custodian, make_policy
    from tender import filestore

    key, sign = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    policy = make_policy(room.project.code, "1", 1, [Custodian("vault", key.public_key())])
    out = io.BytesIO()
    crypto.seal(policy, sign, key.public_key(), {"bidder": bid.bidder_id, "lot": "1", "price_fen": 1},
                [("技术响应.txt", io.BytesIO(b"x" * 100))], out, bid.bidder_id)
    path = filestore.absolute(bid.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    bid.size, bid.sha256 = len(out.getvalue()), hashlib.sha256(out.getvalue()).hexdigest()


@pytest.fixture
def fuzz_world(room, published):
    """The published result, a drafted contract, a challenge with a file; a token for each role."""
    from accounts import service as accounts
    from audit.service import record
    from core.db import db
    from evaluation import challenges, contracts, evidence

    for bid in room.bids:  # the room's bids are rows only: give each its sealed file and submission event
        _seal_in_place(room, bid)
        bid.audit_seq = record("tender.bid_submitted", bid, {"sha256": bid.sha256}).seq
    terms = {"performance_place": "泰顺县人民医院", "payment": "验收合格后30日内支付", "acceptance": "按招标文件验收",
             "warranty": "整机保修三年"}
    contracts.draft_contract(room.purchaser, published.id, terms)
    challenges.file_challenge(room.suppliers[1], published.id, "中标人的业绩证明与事实不符",
                              [("业绩合同.txt", io.BytesIO(b"contract"))])
    evidence.commit()
    db.session.commit()
    tokens = {"agency": accounts.create_api_token(room.agency, "fuzz").secret,
              "supplier": accounts.create_api_token(room.suppliers[0], "fuzz").secret}
    db.session.commit()
    return tokens


def _problems(case, response) -> list[str]:
    """What is wrong with one answer: a 5xx, or a refusal without the error body and a stable code."""
    status = response.status_code
    where = f"{case.method} {case.formatted_path}"
    if status >= 500:
        return [f"{where} answered {status}: {response.text[:300]}"]
    if status < 400:
        return []
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return [f"{where} answered {status} without the error body: {response.text[:300]}"]
    code = error.get("code") if isinstance(error, dict) else None
    if not (isinstance(code, str) and CODE.match(code) and isinstance(error.get("message"), str)):
        return [f"{where} answered {status} with an unstable error {error!r}"]
    if code == "http_error":
        return [f"{where} answered {status}, a status without a code of its own"]
    return []


def _run(operation, mode: GenerationMode, headers: dict, path_parameters: dict | None, problems: list[str]) -> int:
    """Up to EXAMPLES requests to one operation; returns how many were sent."""
    sent = []

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(max_examples=EXAMPLES, phases=[Phase.explicit, Phase.generate], deadline=None, database=None,
              derandomize=True, suppress_health_check=list(HealthCheck))
    def call(case):
        response = case.call(headers=headers, buffered=True)  # buffered: the app's file is read and closed
        sent.append(response.status_code)
        problems.extend(_problems(case, response))

    try:
        call()
    except Unsatisfiable:
        # nothing to get wrong where every input is pinned or the operation takes none
        assert mode is GenerationMode.NEGATIVE
    return len(sent)


@pytest.mark.parametrize("role", ["supplier", "agency"])
def test_no_operation_answers_5xx_and_every_refusal_has_a_stable_code(app, fuzz_world, role):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {fuzz_world[role]}"}
    problems: list[str] = []
    operations = pinned = sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        names = [p.name for p in operation.path_parameters]
        real = _real_path_parameters(operation.path, names) if names else None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            sent += _run(operation, mode, headers, None, problems)
            if real:
                sent += _run(operation, mode, headers, real, problems)
        pinned += bool(real)
    assert operations > 90 and pinned > 60 and sent > 1000, (operations, pinned, sent)
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_a_5xx_or_an_error_without_a_code_is_a_problem():
    class Case:
        method, formatted_path = "GET", "/api/v1/x"

    class Answer:
        def __init__(self, status: int, body: Any) -> None:
            self.status_code, self.body, self.text = status, body, repr(body)

        def json(self) -> Any:
            if self.body is None:
                raise ValueError("not JSON")
            return self.body

    assert _problems(Case, Answer(500, {"error": {"code": "internal_error", "message": "x"}}))
    assert _problems(Case, Answer(404, None))
    assert _problems(Case, Answer(422, {"error": {"code": "Bad Code", "message": "x"}}))
    assert _problems(Case, Answer(418, {"error": {"code": "http_error", "message": "x"}}))
    assert not _problems(Case, Answer(422, {"error": {"code": "validation_failed", "message": "x"}}))
    assert not _problems(Case, Answer(200, [1]))
