// Document signatures (FORMAT.md §14): a contract both parties sign with their own key files.
// What is signed is SHA-256 of the document's canonical JSON behind its own label, so it can
// never pass for a bid's trailer signature. Twin of crypto/document.py.

import { b64uEncode, canonicalJsonText, concat, utf8 } from "./bytes.js";
import { sha256Async, signLowS } from "./primitives.js";

export const DOCUMENT_LABEL = concat(utf8("biaoyun/document/v1/signature"), new Uint8Array([0]));

/** SHA-256 of the canonical JSON of a parsed document object. */
export async function documentDigest(doc) {
  return sha256Async(utf8(canonicalJsonText(doc)));
}

/** Sign a digest with an unlocked signing key (`unlockKeyFile(...).signing`); raw r||s, base64url. */
export async function signDocument(signingKey, digest) {
  if (!signingKey || !signingKey.privateKey) throw new TypeError("this key file holds no signing key");
  return b64uEncode(await signLowS(signingKey.privateKey, concat(DOCUMENT_LABEL, digest)));
}
