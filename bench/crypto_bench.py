"""Benchmark of sealed-bid sealing and opening against the raw AES-256-GCM + SHA-256 pipeline.

Usage: python bench/crypto_bench.py [--size-mib 1024] [--chunk-size BYTES] [--tlock-shares 20] [--tlock-only]

It also times the time-lock custodian per share (FORMAT.md §15): the wrap with the browser's module in
Node, the wrap in Python, and the opening's signature check and unwrap in Python.

Each measured step runs in its own subprocess so that its peak resident memory (VmHWM)
can be compared with the same process's resident memory just before the step. The raw
pipeline reads the same payload file in the same chunk size, encrypts each chunk with
AES-256-GCM, hashes the ciphertext with SHA-256 and writes it out: the same I/O and the
same primitives as sealing, with no container framing. Steps are interleaved and repeated
(best of --repeat) because page-cache and tmpfs allocation make single runs noisy. The
last line is JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIB = 1 << 20


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _keys(workdir: Path) -> tuple:
    """Deterministic test keys so that the seal and open subprocesses agree."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from crypto import Custodian, make_policy

    keys = [ec.derive_private_key(1000 + i, ec.SECP256R1()) for i in range(5)]
    custodians = [Custodian(f"c{i}", keys[i].public_key()) for i in range(3)]
    return make_policy("BENCH-1", "1", 2, custodians), keys


def step_make(path: Path, size: int) -> None:
    """Write ``size`` bytes of incompressible data in 8 MiB pieces."""
    block = os.urandom(8 * MIB)
    with open(path, "wb") as out:
        left = size
        while left:
            n = min(left, len(block))
            out.write(block[:n])
            left -= n


def step_seal(workdir: Path, chunk_size: int) -> None:
    from crypto import seal

    policy, keys = _keys(workdir)
    with open(workdir / "payload.bin", "rb") as f, open(workdir / "bid.sealed", "wb") as out:
        seal(policy, keys[3], keys[4].public_key(), {"bidder": "bench", "price_fen": 1}, [("payload.bin", f)],
             out, "bench", chunk_size=chunk_size)  # fmt: skip


def step_open(workdir: Path, chunk_size: int) -> None:
    from crypto import open_with_shares, unwrap_share

    policy, keys = _keys(workdir)
    with open(workdir / "bid.sealed", "rb") as f:
        shares = [unwrap_share(f, keys[0])]
        f.seek(0)
        shares.append(unwrap_share(f, keys[2]))
        f.seek(0)
        open_with_shares(f, shares, workdir / "opened", policy=policy)


def step_raw(workdir: Path, chunk_size: int) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(AESGCM.generate_key(256))
    hasher = hashlib.sha256()
    plain = bytearray(chunk_size)
    cipher = bytearray(chunk_size + 16)
    view, cview = memoryview(plain), memoryview(cipher)
    counter = 0
    with open(workdir / "payload.bin", "rb", buffering=0) as f, open(workdir / "raw.out", "wb") as out:
        while n := f.readinto(view):
            nonce = counter.to_bytes(12, "big")
            aead.encrypt_into(nonce, view[:n], None, cview[: n + 16])
            hasher.update(cview[: n + 16])
            out.write(cview[: n + 16])
            counter += 1
    hasher.digest()


STEPS = {"make": None, "seal": step_seal, "open": step_open, "raw": step_raw}


def child(step: str, workdir: Path, chunk_size: int, size: int) -> None:
    """Run one step and print its wall time and memory growth as JSON."""
    if step == "make":
        step_make(workdir / "payload.bin", size)
        print(json.dumps({}))
        return
    _keys(workdir)  # import everything before the baseline is taken
    import crypto  # noqa: F401

    io.BytesIO(b"x")
    before = _rss_kib("VmRSS")
    start = time.perf_counter()
    STEPS[step](workdir, chunk_size)
    seconds = time.perf_counter() - start
    growth = (_rss_kib("VmHWM") - before) / 1024
    print(json.dumps({"seconds": seconds, "mem_growth_mib": growth}))


def run(step: str, workdir: Path, chunk_size: int, size: int) -> dict:
    cmd = [sys.executable, __file__, "--child", step, "--workdir", str(workdir),
           "--chunk-size", str(chunk_size), "--size-mib", str(size / MIB)]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


NODE_TLOCK = """
import * as tlock from "./static/js/crypto/tlock.js";
const [pk, chain, round, n] = [process.argv[1], process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const key = Uint8Array.from(Buffer.from(pk, "hex"));
const share = new Uint8Array(32).fill(7);
await tlock.encrypt(key, chain, round, share);  // warm-up: loads @noble/curves
const start = performance.now();
for (let i = 0; i < n; i++) await tlock.encrypt(key, chain, round + i, share);
console.log(JSON.stringify({ ms: (performance.now() - start) / n }));
"""


def tlock_bench(shares: int) -> dict:
    """The time-lock custodian per share: wrap in Node with the browser module (static/js/crypto/tlock.js,
    the code chromium runs), wrap in Python, and the opening's work in Python: one signature check per
    round and one unwrap per share (crypto/tlock.py)."""
    import shutil

    from crypto import tlock

    scalar = 0x1234567
    pk, chain = tlock.public_key_of(scalar), "ab" * 32
    rounds = list(range(1000, 1000 + shares))
    start = time.perf_counter()
    files = [tlock.encrypt(pk, chain, r, b"\x07" * 32) for r in rounds]
    wrap_py = (time.perf_counter() - start) / shares * 1000
    sigs = [tlock.sign_round(scalar, r) for r in rounds]
    start = time.perf_counter()
    for r, sig in zip(rounds, sigs, strict=True):
        tlock.verify_round(pk, r, sig)
    verify = (time.perf_counter() - start) / shares * 1000
    start = time.perf_counter()
    for data, sig in zip(files, sigs, strict=True):
        tlock.decrypt(data, sig)
    unwrap = (time.perf_counter() - start) / shares * 1000
    result = {"tlock_wrap_python_ms": round(wrap_py, 2), "tlock_verify_round_ms": round(verify, 2),
              "tlock_unwrap_ms": round(unwrap, 2)}
    node = shutil.which("node")
    if node:
        out = subprocess.run([node, "--input-type=module", "-e", NODE_TLOCK, pk.hex(), chain, "1000", str(shares)],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout
        result["tlock_wrap_browser_module_node_ms"] = round(json.loads(out.strip().splitlines()[-1])["ms"], 2)
    for name, value in result.items():
        print(f"{name:34s} {value:8.2f} ms per share", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=float, default=1024)
    parser.add_argument("--chunk-size", type=int, default=1 << 20)
    parser.add_argument("--repeat", type=int, default=3, help="take the best of N runs of each step")
    parser.add_argument(
        "--tmpdir",
        default=os.environ.get("BENCH_TMPDIR") or ("/dev/shm" if os.path.isdir("/dev/shm") else None),
        help="where the payload and outputs go (default: /dev/shm, to time the pipeline, not the disk)",
    )
    parser.add_argument("--tlock-shares", type=int, default=20, help="time-lock wraps/unwraps to time")
    parser.add_argument("--tlock-only", action="store_true", help="only the time-lock figures")
    parser.add_argument("--child")
    parser.add_argument("--workdir")
    args = parser.parse_args()
    size = int(args.size_mib * MIB)
    if args.child:
        child(args.child, Path(args.workdir), args.chunk_size, size)
        return
    tlock_figures = tlock_bench(args.tlock_shares)
    if args.tlock_only:
        print(json.dumps(tlock_figures))
        return
    with tempfile.TemporaryDirectory(prefix="crypto-bench-", dir=args.tmpdir) as tmp:
        workdir = Path(tmp)
        run("make", workdir, args.chunk_size, size)  # the payload is on disk (and in the page cache)
        best: dict[str, dict] = {}
        for _ in range(args.repeat):
            for step in ("raw", "seal", "open"):
                for leftover in ("raw.out", "opened"):
                    target = workdir / leftover
                    if target.is_dir():
                        subprocess.run(["rm", "-rf", str(target)], check=True)
                    elif target.exists():
                        target.unlink()
                os.sync()  # let the previous step's dirty pages reach the disk outside the timing
                result = run(step, workdir, args.chunk_size, size)
                seconds, growth = result["seconds"], result["mem_growth_mib"]
                rate = size / MIB / seconds
                print(f"{step:5s} {rate:9.1f} MiB/s {seconds:7.2f} s  mem +{growth:.1f} MiB", flush=True)
                if step not in best or result["seconds"] < best[step]["seconds"]:
                    best[step] = result
    mb = size / 1e6
    raw = mb / best["raw"]["seconds"]
    seal_mbs, open_mbs = mb / best["seal"]["seconds"], mb / best["open"]["seconds"]
    print(json.dumps({
        "size_mib": size / MIB,
        "chunk_size": args.chunk_size,
        "seal_mb_s": round(seal_mbs, 1),
        "open_mb_s": round(open_mbs, 1),
        "raw_mb_s": round(raw, 1),
        "seal_ratio": round(seal_mbs / raw, 3),
        "open_ratio": round(open_mbs / raw, 3),
        "seal_mem_growth_mib": round(best["seal"]["mem_growth_mib"], 1),
        "open_mem_growth_mib": round(best["open"]["mem_growth_mib"], 1),
        **tlock_figures,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
