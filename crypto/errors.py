"""Exceptions of the sealed-bid library; each has a stable ``code`` (FORMAT.md §13).

The Flask app maps ``code`` to a bid status and to the Art 31 fault attribution, so codes
never change once released; messages may.
"""

from __future__ import annotations


class SealedError(Exception):
    """Base class: any verification, decryption or format failure of our files."""

    code = "sealed_error"
    bidder_fault = False  # True where a validly signed container is the bidder's own fault

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadMagicError(SealedError):
    code = "bad_magic"


class UnsupportedVersionError(SealedError):
    code = "unsupported_version"


class HeaderTamperedError(SealedError):
    code = "header_tampered"


class MalformedError(SealedError):
    code = "malformed"


class PayloadInvalidError(SealedError):
    """The authenticated plaintext is not a valid manifest and files: the bidder encrypted it."""

    code = "payload_invalid"
    bidder_fault = True


class PolicyMismatchError(SealedError):
    code = "policy_mismatch"


class NotEnoughSharesError(SealedError):
    code = "not_enough_shares"


class BadShareError(SealedError):
    code = "bad_share"


class StanzaInvalidError(SealedError):
    """A stanza that does not open under its recipient's key: the bidder made it wrong."""

    code = "stanza_invalid"
    bidder_fault = True


class WrongKeyError(SealedError):
    code = "wrong_key"


class KeyCommitmentMismatchError(SealedError):
    """The recovered file key is not the committed one: the bidder's fault (Art 31)."""

    code = "key_commitment_mismatch"
    bidder_fault = True


class ChunkAuthFailedError(SealedError):
    code = "chunk_auth_failed"

    def __init__(self, index: int) -> None:
        super().__init__(f"payload chunk {index} failed authentication (tampered, reordered or wrong key)")
        self.index = index


class TruncatedError(SealedError):
    code = "truncated"


class TrailingDataError(SealedError):
    code = "trailing_data"


class SignatureInvalidError(SealedError):
    code = "signature_invalid"


class BadKeyFileError(SealedError):
    code = "bad_key_file"


class BadPassphraseError(SealedError):
    code = "bad_passphrase"
