"""Sealed bids for Biaoyun: a pure library (no Flask), spec in ``crypto/FORMAT.md``.

Modules: ``encoding`` (byte encodings shared with the JavaScript side), ``errors`` (stable codes),
``shamir`` (k-of-n shares), ``hpke`` (key wrapping), ``policy`` (custody policies), ``container``
(the sealed file: header, payload, signature), ``opening`` (decrypting it, released only when all
verified), ``tlock`` (a share that opens at a beacon round), ``keyfile`` (passphrase-protected
keys), ``document`` (signatures over documents: contracts), ``cli`` / ``__main__`` (``python -m
crypto``); ``_vectors`` and ``_tlock_vectors`` build the test vectors.

A bid is sealed on the supplier's side to a tender lot's custody policy; custodians each
unwrap one Shamir share at the opening; k shares (or the supplier's own key) open it.

Policy::

    make_policy(tender_id, lot, k, [Custodian(id, public_key, label), ...]) -> dict
    policy_hash(policy) -> bytes                       # SHA-256 of canonical JSON

Sealing (one streaming pass, bounded memory)::

    seal(policy, signer_key, enc_pubkey, summary, [(name, fileobj), ...], out, bidder_id,
         chunk_size=DEFAULT_CHUNK_SIZE) -> SealResult  # .digest, .signed_digest, .header

Checking without any private key (server side, at submission)::

    inspect(fileobj, policy=None, require_signature=False) -> dict
        # ids, policy_hash, k, custodians, signer, sizes, "sha256", "signature_valid"
    read_header(fileobj) -> Header                     # just the header, stream left after it

Custodians and the opening::

    unwrap_share(fileobj_or_header, custodian_private_key) -> Share   # Share.to_bytes()
    Share.from_json(obj)                               # a submitted share file
    verify_share(fileobj_or_header, share)             # raises BadShareError; no opening
    unwrap_tlock_share(fileobj_or_header, round_signature, beacon_public_key) -> Share
        # the time-lock custodian (TlockCustodian in the policy, FORMAT.md §15): anyone, once the
        # beacon has signed the round; the signature is verified against the pinned key first
    open_with_shares(fileobj, shares, out_dir_or_sink, policy=None) -> OpenResult
    open_with_key(fileobj, supplier_enc_private_key, out_dir_or_sink, policy=None) -> OpenResult
    open_with_file_key(fileobj, file_key, out_dir_or_sink, policy=None) -> OpenResult   # bidder mode
        # OpenResult.summary, .files [(name, size)], .info (the inspect dict)
        # out: a directory path (DIR/summary.json, DIR/files/...) created only on success,
        # or a Sink (open_file/commit/abort), e.g. MemorySink()

Keys::

    generate_key_file(kind, passphrase) -> (key_file_bytes, pub_pem_bytes)
    load_key_file(data, passphrase) -> KeyPair         # .signing, .encryption (None if absent)
    load_public_keys(pem_bytes) -> list[EllipticCurvePublicKey]

Document signatures (a contract both parties sign, FORMAT.md §14)::

    document_digest(doc) -> bytes                      # SHA-256 of the canonical JSON
    sign_document(signing_private_key, digest) -> bytes   # raw r||s
    verify_document(public_key, digest, signature) -> bool

Every failure raises a subclass of ``SealedError`` with a stable ``.code`` (FORMAT.md §13);
``.bidder_fault`` marks the codes that are the bidder's fault under Art 31 when the
container's signature is valid (key commitment mismatch, invalid stanza, invalid payload).
"""

from crypto.container import (
    DEFAULT_CHUNK_SIZE,
    Header,
    SealResult,
    Share,
    check_policy,
    combine_shares,
    inspect,
    read_header,
    seal,
    unwrap_self,
    unwrap_share,
    unwrap_tlock_share,
    verify_share,
)
from crypto.document import document_digest, sign_document, verify_document
from crypto.errors import SealedError
from crypto.keyfile import KeyPair, generate_key_file, load_key_file, load_public_keys
from crypto.opening import (
    DirectorySink,
    MemorySink,
    OpenResult,
    Sink,
    open_with_file_key,
    open_with_key,
    open_with_shares,
)
from crypto.policy import Custodian, TlockCustodian, make_policy, policy_hash, validate_policy

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "Custodian",
    "DirectorySink",
    "Header",
    "KeyPair",
    "MemorySink",
    "OpenResult",
    "SealResult",
    "SealedError",
    "Share",
    "Sink",
    "TlockCustodian",
    "check_policy",
    "combine_shares",
    "document_digest",
    "generate_key_file",
    "inspect",
    "load_key_file",
    "load_public_keys",
    "make_policy",
    "open_with_file_key",
    "open_with_key",
    "open_with_shares",
    "policy_hash",
    "read_header",
    "seal",
    "sign_document",
    "unwrap_self",
    "unwrap_share",
    "unwrap_tlock_share",
    "validate_policy",
    "verify_document",
    "verify_share",
]
