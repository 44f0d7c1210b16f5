"""``python -m crypto``: the command-line sealing tool.

Exit status: 0 success, 2 usage error (bad arguments, missing or existing files),
3 verification or decryption failure (one line on stderr naming the failed check).
Outputs are written to a temporary name and renamed only when everything succeeded.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO

from crypto import container, document, keyfile, opening, policy
from crypto.encoding import b64u_decode, b64u_encode, canonical_json, load_json
from crypto.errors import SealedError

EXIT_USAGE, EXIT_VERIFY = 2, 3


class UsageError(Exception):
    """Bad input on the command line; exit status 2."""


def _passphrase(args: argparse.Namespace, prompt: str, confirm: bool = False) -> str:
    if args.passphrase_file:
        text = Path(args.passphrase_file).read_text(encoding="utf-8")
        return text.removesuffix("\n").removesuffix("\r")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat passphrase: ") != first:
        raise UsageError("passphrases do not match")
    return first


def _atomic_write(path: Path, write: Callable[[BinaryIO], Any], force: bool = False) -> Any:
    """Write via a temp file in the same directory, renamed into place only on success."""
    if path.exists() and not force:
        raise UsageError(f"{path} already exists")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            result = write(handle)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return result


def _load_policy(path: str) -> dict[str, Any]:
    pol = load_json(Path(path).read_bytes())
    policy.validate_policy(pol)
    return pol


def _load_keys(path: str, args: argparse.Namespace, need: str = "encrypt") -> keyfile.KeyPair:
    """Unlock a key file that must hold a key for `need` ("sign" or "encrypt")."""
    data = Path(path).read_bytes()
    keys = keyfile.load_key_file(data, _passphrase(args, f"Passphrase for {path}: "))
    if (keys.signing if need == "sign" else keys.encryption) is None:
        raise UsageError(f"{path} is a {keys.kind} key file: it holds no {need} key")
    return keys


def cmd_keygen(args: argparse.Namespace) -> None:
    out = Path(args.out)
    pub = out.with_suffix(".pub")
    if pub.exists():
        raise UsageError(f"{pub} already exists")
    passphrase = _passphrase(args, f"New passphrase for {out}: ", confirm=True)
    if not passphrase:
        raise UsageError("an empty passphrase is not allowed")
    key_data, pub_data = keyfile.generate_key_file(args.kind, passphrase, args.iterations)
    _atomic_write(out, lambda f: f.write(key_data))
    _atomic_write(pub, lambda f: f.write(pub_data))
    print(f"wrote {out} and {pub}")


def cmd_policy(args: argparse.Namespace) -> None:
    custodians = []
    for path in args.pubs:
        keys = keyfile.load_public_keys(Path(path).read_bytes())
        if len(keys) != 1:
            raise UsageError(f"{path}: a custodian .pub file holds exactly one key")
        custodians.append(policy.Custodian(Path(path).stem, keys[0], Path(path).stem))
    pol = policy.make_policy(args.tender, args.lot, args.k, custodians)
    _atomic_write(Path(args.out), lambda f: f.write(canonical_json(pol) + b"\n"))
    print(policy.policy_hash(pol).hex())


def cmd_seal(args: argparse.Namespace) -> None:
    pol = _load_policy(args.policy)
    summary = load_json(Path(args.summary).read_bytes())
    if not isinstance(summary, dict):
        raise UsageError("the summary must be a JSON object")
    bidder_id = args.bidder_id or summary.get("bidder_id") or summary.get("bidder")
    if not isinstance(bidder_id, str) or not bidder_id:
        raise UsageError("give --bidder-id or a bidder_id/bidder field in the summary")
    keys = _load_keys(args.signer, args, "sign")
    if keys.encryption is None:
        raise UsageError(f"{args.signer} is not a supplier key file (no encryption key)")
    with ExitStack() as stack:
        files = [(Path(p).name, stack.enter_context(open(p, "rb"))) for p in args.files]
        result = _atomic_write(
            Path(args.out),
            lambda out: container.seal(
                pol, keys.signing, keys.encryption.public_key(), summary, files, out, bidder_id,
                chunk_size=args.chunk_size,
            ),
        )  # fmt: skip
    print(json.dumps({"out": args.out, "sha256": result.digest, "size": result.size}))


def cmd_inspect(args: argparse.Namespace) -> int:
    pol = _load_policy(args.policy) if args.policy else None
    with open(args.container, "rb") as source:
        info = container.inspect(source, pol)
    print(json.dumps(info, ensure_ascii=False, indent=2))
    if not info["signature_valid"]:
        print("error: signature_invalid: the supplier's signature does not verify", file=sys.stderr)
        return EXIT_VERIFY
    return 0


def cmd_share(args: argparse.Namespace) -> None:
    keys = _load_keys(args.key, args)
    with open(args.container, "rb") as source:
        share = container.unwrap_share(source, keys.encryption)
    _atomic_write(Path(args.out), lambda f: f.write(share.to_bytes() + b"\n"))
    print(f"wrote share {share.x} ({share.custodian}) to {args.out}")


def cmd_tlock_share(args: argparse.Namespace) -> None:
    """Anyone redoes the opening's time-lock unwrap from the round's signature (e.g. from the audit log)."""
    pol = _load_policy(args.policy)
    target = next((c["tlock"] for c in pol["custodians"] if "tlock" in c), None)
    if target is None:
        raise UsageError("the policy has no time-lock custodian")
    with open(args.container, "rb") as source:
        header = container.read_header(source)
    container.check_policy(header, pol)
    share = container.unwrap_tlock_share(header, bytes.fromhex(args.signature.strip()),
                                         bytes.fromhex(target["public_key"]))
    _atomic_write(Path(args.out), lambda f: f.write(share.to_bytes() + b"\n"))
    print(f"wrote time-lock share {share.x} (round {target['round']}) to {args.out}")


def cmd_open(args: argparse.Namespace) -> None:
    if bool(args.share) == bool(args.key):
        raise UsageError("give either --share (k times) or --key")
    if Path(args.out).exists():
        raise UsageError(f"{args.out} already exists")
    pol = _load_policy(args.policy) if args.policy else None
    with open(args.container, "rb") as source:
        if args.key:
            keys = _load_keys(args.key, args)
            result = opening.open_with_key(source, keys.encryption, args.out, policy=pol)
        else:
            shares = [container.Share.from_json(load_json(Path(p).read_bytes())) for p in args.share]
            result = opening.open_with_shares(source, shares, args.out, policy=pol)
    print(json.dumps({"out": args.out, "summary": result.summary, "files": result.files}, ensure_ascii=False))


def _document_digest(path: str) -> bytes:
    doc = load_json(Path(path).read_bytes())
    if not isinstance(doc, dict):
        raise UsageError("the document must be a JSON object")
    return document.document_digest(doc)


def cmd_sign_document(args: argparse.Namespace) -> None:
    digest = _document_digest(args.document)
    keys = _load_keys(args.key, args, "sign")
    signature = document.sign_document(keys.signing, digest)
    public = keyfile.public_pem([keys.signing.public_key()]).decode()
    print(json.dumps({"sha256": digest.hex(), "signature": b64u_encode(signature), "public_key": public}))


def cmd_verify_document(args: argparse.Namespace) -> int:
    digest = _document_digest(args.document)
    keys = keyfile.load_public_keys(Path(args.pub).read_bytes())
    try:
        signature = b64u_decode(args.signature.strip(), 64)
    except ValueError as exc:
        raise UsageError(f"the signature is not 64 bytes of base64url: {exc}") from None
    if not any(document.verify_document(key, digest, signature) for key in keys):
        print("error: signature_invalid: the signature does not verify under the given key", file=sys.stderr)
        return EXIT_VERIFY
    print(json.dumps({"sha256": digest.hex(), "valid": True}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree (one sub-parser per command, each with --help)."""
    parser = argparse.ArgumentParser(
        prog="python -m crypto", description="Biaoyun sealed bids (FORMAT.md v1)."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def passphrase_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--passphrase-file", help="read the key passphrase from this file instead of prompting"
        )

    p = sub.add_parser("keygen", help="make a passphrase-protected key file and its .pub")
    p.add_argument("--out", required=True, help="key file to write; the .pub goes next to it")
    p.add_argument("--kind", choices=sorted(keyfile.KINDS), default="custodian", help="default: custodian")
    p.add_argument("--iterations", type=int, default=keyfile.DEFAULT_ITERATIONS, help=argparse.SUPPRESS)
    passphrase_option(p)
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser("policy", help="make a custody policy from custodians' .pub files")
    p.add_argument("--tender", required=True, help="tender (project) id")
    p.add_argument("--lot", required=True, help="lot number")
    p.add_argument("-k", type=int, required=True, help="shares needed to open")
    p.add_argument("--out", required=True, help="policy JSON to write")
    p.add_argument("pubs", nargs="+", help="custodian .pub files; the file name (stem) is the custodian id")
    p.set_defaults(func=cmd_policy)

    p = sub.add_parser("seal", help="seal bid files and an opening summary")
    p.add_argument("--policy", required=True)
    p.add_argument("--signer", required=True, help="supplier key file (signing + encryption keys)")
    p.add_argument("--summary", required=True, help="opening summary JSON (bidder, lot, price_fen, ...)")
    p.add_argument("--out", required=True)
    p.add_argument("--bidder-id", help="default: the summary's bidder_id or bidder field")
    p.add_argument("--chunk-size", type=int, default=container.DEFAULT_CHUNK_SIZE, help=argparse.SUPPRESS)
    p.add_argument("files", nargs="+", metavar="FILE")
    passphrase_option(p)
    p.set_defaults(func=cmd_seal)

    p = sub.add_parser("inspect", help="check structure, policy binding and signature (no key needed)")
    p.add_argument("container")
    p.add_argument("--policy")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("share", help="a custodian unwraps its share of a container")
    p.add_argument("container")
    p.add_argument("--key", required=True, help="custodian key file")
    p.add_argument("--out", required=True, help="share file to write")
    passphrase_option(p)
    p.set_defaults(func=cmd_share)

    p = sub.add_parser("tlock-share", help="unwrap the time-lock share with the beacon round's signature")
    p.add_argument("container")
    p.add_argument("--policy", required=True, help="the lot's policy (holds the beacon key and round)")
    p.add_argument("--signature", required=True, help="the round's signature, hex (48 bytes)")
    p.add_argument("--out", required=True, help="share file to write")
    p.set_defaults(func=cmd_tlock_share)

    p = sub.add_parser("open", help="open a container with k shares or the supplier's own key")
    p.add_argument("container")
    p.add_argument("--share", action="append", default=[], help="a share file (repeat k times)")
    p.add_argument("--key", help="supplier key file")
    p.add_argument("--out", required=True, help="directory to create: summary.json and files/")
    p.add_argument("--policy")
    passphrase_option(p)
    p.set_defaults(func=cmd_open)

    p = sub.add_parser("sign-document", help="sign a JSON document (a contract) with a signing key")
    p.add_argument("--key", required=True, help="key file with a signing key (supplier or signer)")
    p.add_argument("--document", required=True, help="the document's JSON, as downloaded")
    passphrase_option(p)
    p.set_defaults(func=cmd_sign_document)

    p = sub.add_parser("verify-document", help="check a document signature against a .pub file")
    p.add_argument("--document", required=True)
    p.add_argument("--pub", required=True, help=".pub file (PEM public keys)")
    p.add_argument("--signature", required=True,
                   help="base64url raw r||s signature; write --signature=S (a value may begin with -)")
    p.set_defaults(func=cmd_verify_document)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except SealedError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_VERIFY
    except (UsageError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
