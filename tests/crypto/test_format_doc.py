"""crypto/FORMAT.md as an independent implementer reads it (issue 11): every term used is defined, and what the
text says about error codes, names, `inspect`, the vectors and the audit log is what the code does."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import pytest

from crypto import container, errors
from crypto.encoding import b64u_decode

ROOT = Path(__file__).resolve().parents[2]
FORMAT = (ROOT / "crypto" / "FORMAT.md").read_text(encoding="utf-8")
FLAT = " ".join(FORMAT.split())  # the text with its line breaks as spaces
V2 = json.loads((ROOT / "crypto" / "vectors" / "v2.json").read_text(encoding="utf-8"))


def section(number: int) -> str:
    start = FORMAT.index(f"\n## {number}. ")
    end = FORMAT.find("\n## ", start + 1)
    return FORMAT[start:end if end > 0 else None]


def test_every_integer_encoding_used_is_defined_in_the_conventions():
    used = set(re.findall(r"\bu\d+(?:be|le)?\b", FORMAT))
    conventions = section(1)
    assert "u88be" in used
    assert all(f"`{name}(x)`" in conventions for name in used), used


def test_sections_are_in_order_and_references_name_the_right_section():
    numbers = [int(n) for n in re.findall(r"^## (\d+)\. ", FORMAT, flags=re.M)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert "Key file" in section(11) and "Test vectors" in section(12)
    assert "key file, §11" in FORMAT and "vector containers (§12)" in FORMAT


def test_every_error_code_of_the_library_is_listed():
    from crypto import tlock

    codes = {cls.code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.SealedError)}
    codes.discard("sealed_error")
    codes.add(tlock.TlockError.code if hasattr(tlock, "TlockError") else "tlock_invalid")
    listed = set(re.findall(r"`([a-z_]+)`", section(13).split("Where each arises")[0]))
    assert codes <= listed, codes - listed


def _container() -> bytes:
    return b64u_decode(V2["containers"][0]["container_b64u"])


@pytest.mark.parametrize(("mangle", "code", "doc"), [
    (lambda d: d[:9] + (0).to_bytes(4, "big") + d[13:], "header_tampered", "if `L` is 0 or greater than 1 048 576"),
    (lambda d: d[:-65], "truncated", "end of input right after the final chunk's record (no trailer tag)"),
    (lambda d: d[:-10], "truncated", "fewer\nthan 64 bytes after the trailer tag"),
    (lambda d: d[:10], "truncated", "the header length, the header or the header MAC (`truncated`)"),
    (lambda d: d + b"S", "trailing_data", "any byte after the trailer"),
])
def test_the_documented_code_is_the_one_raised(mangle, code, doc):
    assert " ".join(doc.split()) in FLAT
    with pytest.raises(errors.SealedError) as raised:
        container.inspect(io.BytesIO(mangle(_container())))
    assert raised.value.code == code


def test_control_characters_in_file_names_are_exactly_c0_and_del():
    """§1: U+0000–U+001F and U+007F are control characters; C1 (U+0085 included) is not. The JS reader's
    pattern is the same set."""
    assert "U+0000–U+001F (C0, NUL included) or U+007F (DEL)" in section(1)
    refused = {chr(c) for c in range(0x110000) if c < 0xD800 or c > 0xDFFF
               if not _name_ok(f"a{chr(c)}b")}
    assert refused == {chr(c) for c in range(0x20)} | {"\x7f", "/", "\\"}
    assert _name_ok("a\x85b") and _name_ok("a\x9fb")
    js = (ROOT / "static" / "js" / "crypto" / "container.js").read_text(encoding="utf-8")
    assert r"/[/\\\x00-\x1f\x7f]/" in js


def _name_ok(name: str) -> bool:
    try:
        container.validate_manifest({"files": [{"name": name, "size": 0}], "summary": {}})
    except errors.SealedError:
        return False
    return True


def test_inspect_output_has_exactly_the_documented_fields():
    table = section(8).split("**`inspect` output**")[1].split("The **container digest**")[0]
    documented = set()
    for row in re.findall(r"^\| (`[^|]+) \|", table, flags=re.M):
        documented.update(re.findall(r"`([a-z0-9_]+)`", row))
    info = container.inspect(io.BytesIO(_container()), V2["policy"])
    assert set(info) == documented
    assert info == V2["containers"][0]["inspect"]


def test_share_commitment_x1_is_what_the_text_says():
    for case in V2["hkdf"]:
        fk = bytes.fromhex(case["file_key"])
        expected = hashlib.sha256(b"biaoyun/sealed/v1/share-commitment" + b"\x00" + bytes([1]) + fk).hexdigest()
        assert case["share_commitment_x1"] == expected
    assert "`share_commitment_x1`" in section(12)


def test_the_audit_leaf_encoding_in_section_16_recomputes_a_real_leaf(app_ctx):
    from audit.models import AuditEvent
    from audit.service import event_json, record
    from core.db import db

    record("test.event", None, {"名称": "投标", "n": 3, "ok": True, "list": [1, "a"]}, actor="system",
           object_type="thing", object_id="7")
    db.session.commit()
    event = db.session.get(AuditEvent, 0)
    obj = {k: v for k, v in event_json(event).items() if k != "leaf_hash"}
    data = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert hashlib.sha256(b"\x00" + data).digest() == event.leaf_hash
    text = section(16)
    assert all(f"`{key}`" in text for key in obj)
