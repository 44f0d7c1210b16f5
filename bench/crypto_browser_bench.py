"""Browser sealing throughput of static/js/crypto in headless chromium (payload made in the page).

Usage: python bench/crypto_browser_bench.py [--size-mib 100] [--chunk-size BYTES] [--concurrency N]
                                           [--no-hash-worker] [--discard]

Serves static/ on 127.0.0.1 (same CSP as the platform), opens static/js/crypto/test/harness.html
and times `seal()` of a SIZE MiB Blob built in the page (files are read with Blob.slice chunk by
chunk, encrypted with WebCrypto AES-256-GCM, hashed with the streaming JS SHA-256, signed with
ECDSA). In the same page it also times the raw pipeline on the same data and chunk size
(WebCrypto AES-256-GCM + WebCrypto SHA-256 per chunk, no framing, no streaming hash) and
`inspect()` of the result. While sealing, a thread samples the resident memory (VmRSS) of
this run's chromium renderer processes (where the page's JavaScript, the chunks in flight and the
hash worker live) and of its other chromium processes (the browser process keeps Blob data, i.e.
the sealed output, and spills it to disk when large). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def _descendants(root: int) -> dict[int, str]:
    """pid -> cmdline of every process below ``root`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        found[pid] = f.read().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    found[pid] = ""
                frontier.append(pid)
    return found


def _rss_mib(pids) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class _MemorySampler(threading.Thread):
    """Peak RSS of this run's chromium renderers and of its other chromium processes."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak = {"renderer": 0.0, "browser": 0.0}
        self.start_rss = self.sample()

    def sample(self) -> dict[str, float]:
        procs = {pid: cmd for pid, cmd in _descendants(os.getpid()).items() if "chrom" in cmd}
        renderers = [pid for pid, cmd in procs.items() if "--type=renderer" in cmd]
        others = [pid for pid in procs if pid not in renderers]
        return {"renderer": _rss_mib(renderers), "browser": _rss_mib(others)}

    def run(self) -> None:
        while not self.stop.is_set():
            now = self.sample()
            for key, value in now.items():
                self.peak[key] = max(self.peak[key], value)
            time.sleep(0.02)


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", "default-src 'self'; script-src 'self'")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--chunk-size", type=int, default=1 << 20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--no-hash-worker", action="store_true", help="hash on the page's main thread")
    parser.add_argument("--discard", action="store_true",
                        help="stream the container to a writer that only counts bytes (no output Blob)")
    parser.add_argument("--gc", action="store_true",
                        help="start chromium with --js-flags=--expose-gc and collect garbage every 16 chunks")
    args = parser.parse_args()

    from cryptography.hazmat.primitives.asymmetric import ec
    from playwright.sync_api import sync_playwright

    from crypto import Custodian, generate_key_file, make_policy

    key_file, _ = generate_key_file("supplier", "bench", 1000)
    custodians = [Custodian(f"c{i}", ec.generate_private_key(ec.SECP256R1()).public_key()) for i in range(3)]
    policy = make_policy("BENCH-1", "1", 2, custodians)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(ROOT / "static")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="bench-chromium-") as profile:
            # a normal (persistent) profile, as a supplier's browser has: large Blobs may go to disk
            extra = ["--js-flags=--expose-gc"] if args.gc else []
            context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM,
                                                           args=CHROMIUM_ARGS + extra)
            page = context.new_page()
            page.set_default_timeout(600_000)
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/js/crypto/test/harness.html")
            page.wait_for_selector("body[data-ready='1']")
            page.evaluate("a => window.harness.benchPrepare(a)",
                          {"keyFile": key_file.decode(), "passphrase": "bench", "sizeMiB": args.size_mib})
            sampler = _MemorySampler()
            sampler.start()
            result = page.evaluate(
                "a => window.harness.benchSeal(a)",
                {"policy": policy, "chunkSize": args.chunk_size, "concurrency": args.concurrency,
                 "hashWorker": not args.no_hash_worker, "discard": args.discard, "forceGc": args.gc},
            )
            sampler.stop.set()
            sampler.join()
            compare = page.evaluate("a => window.harness.benchCompare(a)", {"chunkSize": args.chunk_size})
            result.update(compare)
            start = sampler.start_rss
            result["renderer_rss_growth_mib"] = round(sampler.peak["renderer"] - start["renderer"], 1)
            result["browser_rss_growth_mib"] = round(sampler.peak["browser"] - start["browser"], 1)
            result.update(size_mib=args.size_mib, output="discarded" if args.discard else "blob",
                          forced_gc=args.gc, chunk_size=args.chunk_size, concurrency=args.concurrency,
                          browser=f"chromium {context.browser.version if context.browser else ''} (headless)")
            context.close()
    finally:
        server.shutdown()
        server.server_close()
    result["seal_ratio_vs_raw"] = round(result["seal_mb_s"] / result["raw_aesgcm_sha256_mb_s"], 3)
    result["note"] = ("JS SHA-256 bound: WebCrypto has no streaming digest and the CSP forbids "
                      "WebAssembly; Chromium here refuses to read in-page Blobs above ~300 MiB, so keep "
                      "--size-mib at or below 250")
    print(f"browser sealing of {args.size_mib} MiB: {result['seal_mb_s']} MB/s "
          f"(raw AES-GCM + SHA-256 {result['raw_aesgcm_sha256_mb_s']} MB/s)")
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
