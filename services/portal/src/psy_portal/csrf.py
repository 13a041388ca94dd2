"""CSRF: one random token per web session, sent back in a hidden field of every form."""

import hmac
import secrets

FIELD = "csrf_token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_matches(expected: str | None, submitted: str | None) -> bool:
    """Constant-time; a missing token on either side never matches."""
    if not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
