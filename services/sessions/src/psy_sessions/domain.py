"""Consultation sessions: who takes part, when the door opens, what the outcome is. No I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Format = Literal["video", "chat", "in_person"]
Via = Literal["button", "email_link"]
Status = Literal["scheduled", "link_sent", "attended", "missed", "cancelled"]
Outcome = Literal["attended", "missed"]

ONLINE_FORMATS: frozenset[str] = frozenset({"video", "chat"})


@dataclass(frozen=True)
class Session:
    booking_id: uuid.UUID
    psychologist_id: uuid.UUID
    booked_by: uuid.UUID
    participant_id: uuid.UUID
    participant_kind: str
    format: str
    starts_at: datetime
    ends_at: datetime
    place: str | None
    # Bumped by every reschedule: rooms, links and joins of an older time stop counting.
    generation: int = 0
    dispatched_at: datetime | None = None
    room_id: str | None = None
    room_url: str | None = None
    cancelled_at: datetime | None = None
    outcome: str | None = None

    @property
    def client_side(self) -> tuple[uuid.UUID, ...]:
        """Whoever booked, and the child the consultation is for (when not the same person)."""
        if self.participant_id == self.booked_by:
            return (self.booked_by,)
        return (self.booked_by, self.participant_id)

    @property
    def participants(self) -> tuple[uuid.UUID, ...]:
        """Everyone who gets a link: the client side and the psychologist."""
        return (*self.client_side, self.psychologist_id)

    def takes_part(self, account_id: uuid.UUID) -> bool:
        return account_id in self.participants

    @property
    def online(self) -> bool:
        return self.format in ONLINE_FORMATS

    @property
    def room_key(self) -> str:
        """The provider's idempotency key: one room per booking and time, however often asked."""
        return f"{self.booking_id}:{self.generation}"


def dispatch_at(starts_at: datetime, lead: timedelta) -> datetime:
    """When links go out. A booking made later than that is simply due at once."""
    return starts_at - lead


def join_opens_at(session: Session, lead: timedelta) -> datetime:
    return session.starts_at - lead


class JoinRefused(Exception):
    """Why a join is refused; `code` is stable, `message` is for the person."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def check_join(session: Session, account_id: uuid.UUID, now: datetime, lead: timedelta) -> str:
    """The room URL to send the participant to, or JoinRefused. Records nothing itself."""
    if not session.takes_part(account_id):
        raise JoinRefused(403, "not_participant", "Вы не участник этой консультации.")
    if session.cancelled_at is not None:
        raise JoinRefused(409, "session_cancelled", "Консультация отменена.")
    if not session.online:
        raise JoinRefused(
            409, "in_person_session", "Это очная консультация: приходите по указанному адресу."
        )
    opens = join_opens_at(session, lead)
    if now < opens:
        minutes = int(lead.total_seconds() // 60)
        raise JoinRefused(
            409,
            "join_not_open_yet",
            f"Вход ещё закрыт: он откроется за {minutes} мин. до начала консультации.",
        )
    if now > session.ends_at:
        raise JoinRefused(409, "session_ended", "Консультация уже завершилась.")
    if session.room_url is None:
        raise JoinRefused(
            409,
            "room_not_ready",
            "Комната консультации ещё готовится. Повторите через минуту.",
        )
    return session.room_url


def can_join(session: Session, now: datetime, lead: timedelta) -> bool:
    return (
        session.cancelled_at is None
        and session.online
        and session.room_url is not None
        and join_opens_at(session, lead) <= now <= session.ends_at
    )


def status_of(session: Session) -> Status:
    if session.cancelled_at is not None:
        return "cancelled"
    if session.outcome == "attended":
        return "attended"
    if session.outcome == "missed":
        return "missed"
    if session.dispatched_at is not None:
        return "link_sent"
    return "scheduled"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    absent: tuple[uuid.UUID, ...]


def decide(session: Session, joined: set[uuid.UUID]) -> Decision:
    """Attended when the client side joined through the service; otherwise «пропуск».

    `absent` names every participant who did not join through the service (the psychologist
    too), so booking and notify can tell who missed it.
    """
    absent = tuple(p for p in session.participants if p not in joined)
    if any(c in joined for c in session.client_side):
        return Decision("attended", absent)
    return Decision("missed", absent)
