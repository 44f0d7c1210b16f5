/**
 * Sealed bids in the browser — the public API of `static/js/crypto/` (FORMAT.md v1).
 *
 * Plain ES modules on WebCrypto, no dependencies; import from `/static/js/crypto/index.js`.
 * The same bytes as the Python library `crypto/`: a container sealed here opens with
 * `python -m crypto open`, and the other way round. Every failure rejects with a
 * {@link SealedError} whose `.code` is one of FORMAT.md §13 (`bad_magic`,
 * `unsupported_version`, `header_tampered`, `malformed`, `payload_invalid`,
 * `policy_mismatch`, `not_enough_shares`, `bad_share`, `stanza_invalid`, `wrong_key`,
 * `key_commitment_mismatch`, `chunk_auth_failed` (with `.index`), `truncated`,
 * `trailing_data`, `signature_invalid`, `bad_key_file`, `bad_passphrase`);
 * `.bidderFault` is true for `key_commitment_mismatch` and `stanza_invalid` (Art 31).
 *
 * Keys (FORMAT.md §11)
 * --------------------
 *   generateKeyFile(kind, passphrase, {iterations}) -> {keyFile, publicPem, publicKeys}
 *       kind "supplier" (signing + encryption keys) or "custodian" (one encryption key).
 *       keyFile: JSON text to save as NAME.key; publicPem: NAME.pub; publicKeys: b64u points
 *       ({sign, encrypt}) to register on the platform. The private keys never leave the page.
 *   unlockKeyFile(fileOrText, passphrase) -> KeyPairs
 *       {kind, signing: UnlockedKey|null, encryption: UnlockedKey}; UnlockedKey is
 *       {privateKey: CryptoKey (non-extractable), publicRaw: Uint8Array(65), publicKey: b64u}.
 *       Rejects bad_key_file / bad_passphrase. PBKDF2 with 600 000 iterations: ~0.5 s.
 *   readPublicKeyPem(pemText) -> Uint8Array[]   (raw points of a .pub file)
 *
 * Sealing (supplier)
 * ------------------
 *   seal({policy, signingKey, encryptionKey, bidderId, summary, files,
 *         chunkSize = 1 MiB, concurrency = 4, onProgress, writer, signal, hashWorker}) ->
 *       {blob, sha256, signedDigest, size, header, hashedIn}
 *     policy        the tender lot's custody policy object (FORMAT.md §2)
 *     signingKey    keys.signing of an unlocked supplier key file
 *     encryptionKey keys.encryption (or its b64u public key): the supplier's own stanza
 *     bidderId      the supplier's id on the platform (e.g. its USCC)
 *     summary       opening summary object, integers only (price_fen in fen)
 *     files         File objects (from <input type=file>) or {name, blob}
 *     onProgress    called per chunk with {phase: "encrypt"|"done", done, total, chunk, chunks}
 *                   (bytes of plaintext done / total)
 *     writer        optional {write(Uint8Array): void|Promise}: stream the container out
 *                   (e.g. to an upload) instead of collecting a Blob; `blob` is then null
 *     signal        optional AbortSignal
 *   Files are read with Blob.slice chunk by chunk (memory bounded by a few chunks plus the
 *   output Blob's pending parts), AES-256-GCM runs `concurrency` chunks in parallel, the
 *   container is hashed as it goes and signed (ECDSA P-256, raw r||s) in the trailer.
 *   `sha256` is the container digest for receipts (hex), `signedDigest` what was signed.
 *   The streaming SHA-256 runs in a module Worker (hash-worker.js; `hashedIn` "worker") so
 *   the page stays responsive; option `hashWorker: false`, or no Worker (Node), hashes inline.
 *   The plaintext never leaves the browser.
 *
 * Checking (anyone)
 * -----------------
 *   inspect(blob, {policy, requireSignature}) -> the same dict as `python -m crypto inspect`
 *       (tender_id, lot, bidder_id, policy_hash, k, custodians, signer, sizes, sha256,
 *        signature_valid, ...)
 *   readHeader(blob) -> Header {fields, prefix, mac, end}: only the header bytes are read
 *   policyHash(policy) -> Uint8Array(32);  checkPolicy(header, policy)
 *
 * Custodians and the opening
 * --------------------------
 *   unwrapShare(blobOrHeader, custodianKeys) -> share object (FORMAT.md §10)
 *       {bidder_id, commitment, custodian, format: "biaoyun-share/1", policy_hash, x, y};
 *       shareFileText(share) gives its canonical JSON text (what the server receives).
 *       Rejects wrong_key (not a custodian of this bid) or stanza_invalid (bidder's fault).
 *   verifyShare(blobOrHeader, share)            rejects bad_share
 *   combineShares(blobOrHeader, shares) -> file key (Uint8Array(32)), commitment checked
 *   unwrapSelf(blobOrHeader, supplierKeys) -> file key from the supplier's own stanza
 *   open(blob, {shares} | {supplierKey} | {fileKey}, {policy, onProgress}) ->
 *       {summary, files: [{name, size, blob}], info}; resolves only after every check
 *       (commitment, header MAC, each chunk, signature) passed.
 *
 * UI helper: `seal-page.js` (mountSealForm, mountKeygenForm, mountShareUnwrap).
 *
 * @module biaoyun/crypto
 */

export { SealedError, b64uDecode, b64uEncode, canonicalJson, canonicalJsonText, fromHex, toHex } from "./bytes.js";
export {
  DEFAULT_CHUNK_SIZE, checkFileKey, checkPolicy, combineShares, commitmentBinding, deriveKeys, inspect, open, policyHash, readHeader,
  seal, shareCommitment, shareFileText, unwrapSelf, unwrapShare, validatePolicy, verifyShare,
} from "./container.js";
export { DOCUMENT_LABEL, documentDigest, signDocument } from "./document.js";
export { DEFAULT_ITERATIONS, generateKeyFile, publicKeyPem, readPublicKeyPem, unlockKeyFile } from "./keyfile.js";
export { Sha256 } from "./sha256.js";
export * as hpke from "./hpke.js";
export * as shamir from "./shamir.js";
