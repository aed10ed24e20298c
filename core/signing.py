"""Digital signature of the sign-off PDF (PAdES baseline, pyHanko) by the organisation's certificate.

CONTRACT STUB: ``sign_pdf`` keeps its signature; the real signer lands with the evidence work.
"""

from __future__ import annotations


def sign_pdf(data: bytes) -> bytes:
    """The PDF ``data`` signed by the organisation's signing certificate."""
    return data
