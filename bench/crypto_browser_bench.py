"""Browser sealing throughput of static/js/crypto in headless chromium (payload made in the page).

Usage: python bench/crypto_browser_bench.py [--size-mib 100] [--chunk-size BYTES] [--concurrency N]

Serves static/ on 127.0.0.1 (same CSP as the platform), opens static/js/crypto/test/harness.html
and times `seal()` of a SIZE MiB Blob built in the page (files are read with Blob.slice chunk by
chunk, encrypted with WebCrypto AES-256-GCM, hashed with the streaming JS SHA-256, signed with
ECDSA). In the same page it also times the raw pipeline on the same data and chunk size
(WebCrypto AES-256-GCM + WebCrypto SHA-256 per chunk, no framing, no streaming hash) and
`inspect()` of the result. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


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
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.set_default_timeout(600_000)
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/js/crypto/test/harness.html")
            page.wait_for_selector("body[data-ready='1']")
            result = page.evaluate(
                "a => window.harness.bench(a)",
                {"policy": policy, "keyFile": key_file.decode(), "passphrase": "bench",
                 "sizeMiB": args.size_mib, "chunkSize": args.chunk_size, "concurrency": args.concurrency,
                 "hashWorker": not args.no_hash_worker},
            )
            result["browser"] = f"chromium {browser.version} (headless)"
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    result["seal_ratio_vs_raw"] = round(result["seal_mb_s"] / result["raw_aesgcm_sha256_mb_s"], 3)
    print(f"browser sealing of {args.size_mib} MiB: {result['seal_mb_s']} MB/s "
          f"(raw AES-GCM + SHA-256 {result['raw_aesgcm_sha256_mb_s']} MB/s)")
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
