"""Booking rules and the booking state machine. Pure: no I/O, the clock is passed in.

Every refusal is a `Refusal(code)`; the HTTP layer turns the code into a status and a Russian
message (refusals.py), so the rules read as the architecture states them.
"""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

ParticipantKind = Literal["self", "child"]
CLIENT_ROLES = ("parent", "child")


class Refusal(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Status(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    MISSED = "missed"


# confirmed → cancelled | completed | missed; the three are final.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.CONFIRMED: frozenset({Status.CANCELLED, Status.COMPLETED, Status.MISSED}),
    Status.CANCELLED: frozenset(),
    Status.COMPLETED: frozenset(),
    Status.MISSED: frozenset(),
}


def can_move(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


@dataclass(frozen=True)
class Rules:
    min_lead: timedelta = timedelta(minutes=5)
    max_ahead: timedelta = timedelta(days=30)
    active_limit: int = 2
    comment_max_chars: int = 1000
    reason_max_chars: int = 500
    self_booking_age: int = 14


@dataclass(frozen=True)
class Slot:
    id: uuid.UUID
    psychologist_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    timezone: str
    formats: tuple[str, ...]
    place: str | None
    withdrawn: bool


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    role: str
    birth_date: date | None


@dataclass(frozen=True)
class Family:
    """What the replicas say about the caller and the participant of one booking request."""

    caller: Account | None
    participant: Account | None
    participant_is_callers_child: bool  # a family link caller (parent) → participant
    caller_has_parent: bool  # the caller (a child) is linked to some parent


def age_on(birth_date: date, day: date) -> int:
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def may_book_at_all(role: str) -> None:
    """Psychologists and admins book nobody."""
    if role not in CLIENT_ROLES:
        raise Refusal("participant_not_allowed")


def child_books_alone(child: Account, has_parent: bool, today: date, rules: Rules) -> None:
    """A child of 14+ books for themselves, and only once linked to a parent."""
    if child.birth_date is None or age_on(child.birth_date, today) < rules.self_booking_age:
        raise Refusal("participant_not_allowed")
    if not has_parent:
        raise Refusal("participant_not_allowed")


def participant_kind(
    caller_id: uuid.UUID, caller_role: str, family: Family, today: date, rules: Rules
) -> ParticipantKind:
    """Who may book for whom: a parent for self or a linked child; a child of 14+ for self."""
    may_book_at_all(caller_role)
    if family.caller is None or family.participant is None:
        raise Refusal("account_unknown")
    participant = family.participant
    if caller_role == "parent":
        if participant.id == caller_id:
            return "self"
        if participant.role == "child" and family.participant_is_callers_child:
            return "child"
        raise Refusal("participant_not_allowed")
    if participant.id != caller_id:
        raise Refusal("participant_not_allowed")
    child_books_alone(participant, family.caller_has_parent, today, rules)
    return "self"


def slot_bookable(slot: Slot | None, now: datetime, rules: Rules) -> Slot:
    if slot is None or slot.withdrawn:
        raise Refusal("slot_not_found")
    lead = slot.starts_at - now
    if lead < rules.min_lead or lead > rules.max_ahead:
        raise Refusal("outside_booking_window")
    return slot


def format_offered(slot: Slot, fmt: str) -> None:
    if fmt not in slot.formats:
        raise Refusal("format_not_offered")


def known_topics(topics: Sequence[str], psychologist_topics: Collection[str]) -> list[str]:
    """The requested topics, each once, in the order given; all must be the psychologist's."""
    unique = list(dict.fromkeys(topics))
    if not unique or any(t not in psychologist_topics for t in unique):
        raise Refusal("unknown_topic")
    return unique


def comment_fits(comment: str | None, rules: Rules) -> str | None:
    text = (comment or "").strip()
    if len(text) > rules.comment_max_chars:
        raise Refusal("comment_too_long")
    return text or None


def under_limit(active: int, rules: Rules) -> None:
    if active >= rules.active_limit:
        raise Refusal("active_limit_reached")


def reason_fits(reason: str, rules: Rules) -> str:
    text = reason.strip()
    if not text:
        raise Refusal("reason_required")
    if len(text) > rules.reason_max_chars:
        raise Refusal("reason_too_long")
    return text


@dataclass(frozen=True)
class BookingFacts:
    """The parts of a booking its access rules and changes look at."""

    id: uuid.UUID
    status: Status
    slot_id: uuid.UUID
    psychologist_id: uuid.UUID
    booked_by: uuid.UUID
    participant_id: uuid.UUID
    starts_at: datetime


def client_side(booking: BookingFacts, user_id: uuid.UUID) -> bool:
    return user_id in (booking.booked_by, booking.participant_id)


Visibility = Literal["full", "without_contents"]


def visibility(
    booking: BookingFacts, user_id: uuid.UUID, role: str, children: Collection[uuid.UUID]
) -> Visibility | None:
    """What the caller may see of a booking; None = nothing (the API answers 404).

    The client side (who booked, the participant) and the psychologist see everything. A parent
    also sees a linked child's own booking, but not its topics and comment: a 14+ child asked
    for help themselves, and consultation contents go to the client side and psychologist only.
    """
    if role == "psychologist":
        return "full" if booking.psychologist_id == user_id else None
    if role not in CLIENT_ROLES:
        return None
    if client_side(booking, user_id):
        return "full"
    if role == "parent" and booking.participant_id in children:
        return "without_contents"
    return None


def may_change(booking: BookingFacts, user_id: uuid.UUID) -> bool:
    """Cancel or reschedule: the client side (who booked, the participant) or the psychologist."""
    return client_side(booking, user_id) or booking.psychologist_id == user_id


def still_changeable(booking: BookingFacts, now: datetime) -> None:
    if booking.status is not Status.CONFIRMED:
        raise Refusal("not_active")
    if now >= booking.starts_at:
        raise Refusal("too_late")


def reschedule_target(
    booking: BookingFacts, target: Slot | None, fmt: str, now: datetime, rules: Rules
) -> Slot:
    slot = slot_bookable(target, now, rules)
    if slot.id == booking.slot_id:
        raise Refusal("same_slot")
    if slot.psychologist_id != booking.psychologist_id:
        raise Refusal("other_psychologist")
    format_offered(slot, fmt)
    return slot


def outcome_status(current: Status, outcome: Literal["attended", "missed"]) -> Status | None:
    """The new final status, or None when it changes nothing (late, duplicate, cancelled)."""
    target = Status.COMPLETED if outcome == "attended" else Status.MISSED
    return target if can_move(current, target) else None
