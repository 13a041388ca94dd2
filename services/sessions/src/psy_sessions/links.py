"""Per-participant join links: a signed token naming the booking, the person and the time.

The token is a capability (whoever holds it joins as that participant), so it is signed,
expires at the end of the consultation, and stops working when the booking is moved to another
time (the generation in it no longer matches). Issuing is deterministic: a dispatcher that
crashed and re-runs a batch produces the very same links.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

from psy_sessions.domain import Session

_SALT = "psy-sessions.join-link.v1"


@dataclass(frozen=True)
class JoinTicket:
    booking_id: uuid.UUID
    account_id: uuid.UUID
    generation: int
    expires_at: datetime


class InvalidLink(Exception):
    """The token is forged, damaged or expired."""


class JoinLinks:
    def __init__(self, secret: str, public_url: str) -> None:
        self._signer = URLSafeSerializer(secret, salt=_SALT)
        self._base = public_url.rstrip("/")

    def issue(self, session: Session, account_id: uuid.UUID) -> str:
        token = self._signer.dumps(
            {
                "b": str(session.booking_id),
                "a": str(account_id),
                "g": session.generation,
                "e": int(session.ends_at.timestamp()),
            }
        )
        return f"{self._base}/join/{token}"

    def read(self, token: str, now: datetime) -> JoinTicket:
        try:
            claims = self._signer.loads(token)
            ticket = JoinTicket(
                booking_id=uuid.UUID(claims["b"]),
                account_id=uuid.UUID(claims["a"]),
                generation=int(claims["g"]),
                expires_at=datetime.fromtimestamp(int(claims["e"]), UTC),
            )
        except (BadSignature, KeyError, TypeError, ValueError) as exc:
            raise InvalidLink("bad token") from exc
        if now > ticket.expires_at:
            raise InvalidLink("expired")
        return ticket
