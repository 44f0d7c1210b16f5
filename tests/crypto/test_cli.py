"""``python -m crypto`` end to end: exit codes, and nothing written when a check fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "crypto", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def ok(cwd: Path, *args: str) -> str:
    result = run(cwd, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    (d / "pp").write_text("s3cret passphrase\n", encoding="utf-8")
    pp = ["--passphrase-file", "pp", "--iterations", "1000"]
    for name in ("c1", "c2", "c3"):
        ok(d, "keygen", "--out", f"{name}.key", *pp)
    ok(d, "keygen", "--kind", "supplier", "--out", "supplier.key", *pp)
    ok(
        d,
        "policy",
        "--tender",
        "T-1",
        "--lot",
        "1",
        "-k",
        "2",
        "--out",
        "policy.json",
        "c1.pub",
        "c2.pub",
        "c3.pub",
    )
    summary = {"bidder": "ACME", "lot": "1", "price_fen": 9_900_000, "delivery_days": 30}
    (d / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (d / "tech.pdf").write_bytes(os.urandom(150_000))
    (d / "price.xlsx").write_bytes(b"price sheet")
    ok(d, "seal", "--policy", "policy.json", "--signer", "supplier.key", "--summary", "summary.json",
       "--out", "bid.sealed", "--passphrase-file", "pp", "tech.pdf", "price.xlsx")  # fmt: skip
    for name in ("c1", "c3"):
        ok(
            d,
            "share",
            "bid.sealed",
            "--key",
            f"{name}.key",
            "--out",
            f"{name}.share",
            "--passphrase-file",
            "pp",
        )
    return d


def test_inspect(world: Path) -> None:
    info = json.loads(ok(world, "inspect", "bid.sealed", "--policy", "policy.json"))
    assert info["signature_valid"] is True and info["tender_id"] == "T-1" and info["k"] == 2
    assert [c["id"] for c in info["custodians"]] == ["c1", "c2", "c3"]


def test_open_with_shares_and_with_key(world: Path) -> None:
    ok(world, "open", "bid.sealed", "--share", "c1.share", "--share", "c3.share", "--out", "by_shares")
    ok(world, "open", "bid.sealed", "--key", "supplier.key", "--out", "by_key", "--passphrase-file", "pp")
    for out in ("by_shares", "by_key"):
        assert (world / out / "files" / "tech.pdf").read_bytes() == (world / "tech.pdf").read_bytes()
        assert (
            json.loads((world / out / "summary.json").read_text(encoding="utf-8"))["price_fen"] == 9_900_000
        )


def _fails(world: Path, code: str, *args: str, out: str | None = None) -> None:
    result = run(world, *args)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith(f"error: {code}:") and len(result.stderr.strip().splitlines()) == 1
    if out:
        assert not (world / out).exists()
        assert not [p for p in world.iterdir() if p.name.startswith(f".{out}.")]


def test_failures_exit_3_and_write_nothing(world: Path) -> None:
    data = (world / "bid.sealed").read_bytes()
    (world / "tampered.sealed").write_bytes(data[:-300] + bytes([data[-300] ^ 1]) + data[-299:])
    (world / "long.sealed").write_bytes(data + b"x")
    _fails(world, "not_enough_shares", "open", "bid.sealed", "--share", "c1.share", "--out", "o1", out="o1")
    shares = ["--share", "c1.share", "--share", "c3.share"]
    _fails(world, "chunk_auth_failed", "open", "tampered.sealed", *shares, "--out", "o2", out="o2")
    _fails(world, "trailing_data", "open", "long.sealed", "--key", "supplier.key", "--passphrase-file", "pp",
           "--out", "o3", out="o3")  # fmt: skip
    _fails(world, "wrong_key", "share", "bid.sealed", "--key", "supplier.key", "--passphrase-file", "pp",
           "--out", "x.share", out="x.share")  # fmt: skip
    _fails(world, "signature_invalid", "inspect", "tampered.sealed")
    (world / "bad.pp").write_text("wrong", encoding="utf-8")
    _fails(world, "bad_passphrase", "share", "bid.sealed", "--key", "c2.key", "--passphrase-file", "bad.pp",
           "--out", "c2.share", out="c2.share")  # fmt: skip


def test_wrong_policy_exits_3(world: Path) -> None:
    ok(world, "policy", "--tender", "T-2", "--lot", "1", "-k", "2", "--out", "other.json", "c1.pub", "c2.pub")
    _fails(world, "policy_mismatch", "inspect", "bid.sealed", "--policy", "other.json")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["seal"],
        ["open", "bid.sealed", "--out", "o9"],
        ["open", "missing.sealed", "--key", "supplier.key", "--out", "o9"],
        ["keygen", "--out", "c1.key", "--passphrase-file", "pp"],
    ],
)
def test_usage_errors_exit_2(world: Path, args: list[str]) -> None:
    assert run(world, *args).returncode == 2


@pytest.mark.parametrize("command", ["keygen", "policy", "seal", "inspect", "share", "open", "sign-document",
                                     "verify-document"])
def test_every_command_has_help(world: Path, command: str) -> None:
    assert "usage:" in ok(world, command, "--help")


def test_sign_and_verify_a_document(world: Path) -> None:
    """A purchaser's signer key and a supplier's key sign the same contract JSON; a changed text fails."""
    ok(world, "keygen", "--kind", "signer", "--out", "buyer.key", "--passphrase-file", "pp", "--iterations", "1000")
    (world / "contract.json").write_text(json.dumps({"format": "biaoyun-contract/1", "amount_fen": 100}),
                                         encoding="utf-8")
    for key, pub in (("buyer.key", "buyer.pub"), ("supplier.key", "supplier.pub")):
        signed = json.loads(ok(world, "sign-document", "--key", key, "--document", "contract.json",
                               "--passphrase-file", "pp"))
        verified = json.loads(ok(world, "verify-document", "--document", "contract.json", "--pub", pub,
                                 f"--signature={signed['signature']}"))  # a base64url value may start with "-"
        assert verified == {"sha256": signed["sha256"], "valid": True}
    (world / "changed.json").write_text(json.dumps({"format": "biaoyun-contract/1", "amount_fen": 101}),
                                        encoding="utf-8")
    bad = run(world, "verify-document", "--document", "changed.json", "--pub", "buyer.pub",
              f"--signature={signed['signature']}")
    assert bad.returncode == 3 and "signature_invalid" in bad.stderr
    # a custodian key cannot sign; a signer key cannot seal or take a share
    assert run(world, "sign-document", "--key", "c1.key", "--document", "contract.json",
               "--passphrase-file", "pp").returncode == 2
    assert run(world, "share", "bid.sealed", "--key", "buyer.key", "--out", "x.share",
               "--passphrase-file", "pp").returncode == 2
