"""Who is told what about a booking, and how times and identities of messages are formed.

Pure rules: no I/O. The store supplies contacts and booking facts; the templates turn a Notice
into words.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Kind = Literal[
    "confirmed",
    "confirmed_parent",
    "cancelled",
    "rescheduled",
    "link",
    "in_person_reminder",
    "attended",
    "missed",
]
Part = Literal["client", "participant", "psychologist", "parent"]
IcsMethod = Literal["REQUEST", "CANCEL"]

FORMAT_TITLES = {"video": "Видео", "chat": "Чат", "in_person": "Очно", "online": "Онлайн"}
UNKNOWN = uuid.UUID(int=0)
DEFAULT_TIMEZONE = "Europe/Moscow"
_MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
_MESSAGE_ID_NAMESPACE = uuid.UUID("6f1c2a52-3c1e-4d59-9a57-6a0c8f3e1b11")


@dataclass(frozen=True)
class Contact:
    account_id: uuid.UUID
    role: str
    full_name: str
    email: str | None
    timezone: str


@dataclass(frozen=True)
class Booking:
    """What notify keeps of a booking: enough to address and word later messages.

    Topics and comment are not kept: they are used once, in the confirmation, while the
    booking.created event is at hand.
    """

    booking_id: uuid.UUID
    psychologist_id: uuid.UUID
    booked_by: uuid.UUID
    participant_id: uuid.UUID
    participant_kind: str
    format: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str | None
    status: str = "confirmed"
    ics_sequence: int = 0


@dataclass(frozen=True)
class Notice:
    """One message to one person about one event: becomes an inbox row and maybe an e-mail."""

    kind: Kind
    recipient_id: uuid.UUID
    part: Part
    context: dict[str, Any] = field(default_factory=dict)
    ics: IcsMethod | None = None


def participants(booking: Booking) -> list[tuple[uuid.UUID, Part]]:
    """Everyone in the consultation: the client (booker), the child if not the client, the
    psychologist."""
    people: list[tuple[uuid.UUID, Part]] = [(booking.booked_by, "client")]
    if booking.participant_kind == "child" and booking.participant_id != booking.booked_by:
        people.append((booking.participant_id, "participant"))
    people.append((booking.psychologist_id, "psychologist"))
    return people


def guardians_to_tell(
    booking: Booking, booker: Contact | None, parents_of_booker: list[uuid.UUID]
) -> list[uuid.UUID]:
    """A child of 14+ who booked for themself: their linked parents are told (no topics)."""
    if booking.participant_kind != "self" or booker is None or booker.role != "child":
        return []
    return [p for p in parents_of_booker if p not in (booking.booked_by, booking.psychologist_id)]


def confirmation_notices(
    booking: Booking,
    booker: Contact | None,
    parents_of_booker: list[uuid.UUID],
    topics: list[str],
    comment: str | None,
) -> list[Notice]:
    private = {"topics": topics, "comment": comment}
    notices = [
        Notice("confirmed", person, part, private, ics="REQUEST")
        for person, part in participants(booking)
        if part != "participant"  # a child booked by a parent learns of it from the parent
    ]
    notices += [
        Notice("confirmed_parent", parent, "parent", ics="REQUEST")
        for parent in guardians_to_tell(booking, booker, parents_of_booker)
    ]
    return notices


def cancellation_notices(
    booking: Booking, cancelled_by: uuid.UUID, reason: str, parents: list[uuid.UUID]
) -> list[Notice]:
    by = "psychologist" if cancelled_by == booking.psychologist_id else "client"
    people = [*participants(booking), *((p, "parent") for p in parents)]
    return [
        Notice("cancelled", person, part, {"cancelled_by": by, "reason": reason}, ics="CANCEL")
        for person, part in people
    ]


def reschedule_notices(
    booking: Booking, old_starts_at: datetime, parents: list[uuid.UUID]
) -> list[Notice]:
    people = [*participants(booking), *((p, "parent") for p in parents)]
    return [
        Notice("rescheduled", person, part, {"old_starts_at": old_starts_at}, ics="REQUEST")
        for person, part in people
    ]


def link_notices(booking: Booking, join_urls: dict[uuid.UUID, str]) -> list[Notice]:
    """T-15. Video and chat: each recipient their own join link. In person (or recipients
    without a link, or none listed): a reminder with the place to every participant."""
    if booking.format == "in_person" or not any(join_urls.values()):
        return [Notice("in_person_reminder", p, part) for p, part in participants(booking)]
    part_of = dict(participants(booking))
    return [
        Notice("link", person, part_of.get(person, "participant"), {"join_url": url})
        for person, url in join_urls.items()
        if url
    ]


def booking_from_links(booking_id: uuid.UUID, starts_at: datetime, ends_at: datetime) -> Booking:
    """Stand-in for a booking whose booking.created has not reached notify yet."""
    return Booking(
        booking_id=booking_id,
        psychologist_id=UNKNOWN,
        booked_by=UNKNOWN,
        participant_id=UNKNOWN,
        participant_kind="self",
        format="online",
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=DEFAULT_TIMEZONE,
        place=None,
    )


def direct_link_notices(join_urls: dict[uuid.UUID, str]) -> list[Notice]:
    return [
        Notice("link", person, "participant", {"join_url": url})
        for person, url in join_urls.items()
        if url
    ]


def outcome_notices(booking: Booking, attended: bool, absent: list[uuid.UUID]) -> list[Notice]:
    kind: Kind = "attended" if attended else "missed"
    return [
        Notice(kind, person, part, {"was_absent": person in absent})
        for person, part in participants(booking)
    ]


def zone(name: str | None, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo(DEFAULT_TIMEZONE)


def local_time(instant: datetime, tz: ZoneInfo) -> str:
    """«5 декабря 2026 г. в 14:30 (Europe/Samara, UTC+04:00)» — unambiguous for any reader."""
    local = instant.astimezone(tz)
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return (
        f"{local.day} {_MONTHS[local.month - 1]} {local.year} г. в {local:%H:%M} "
        f"({tz.key}, UTC{sign}{hours:02d}:{mins:02d})"
    )


def message_id(cause_event_id: uuid.UUID, recipient_id: uuid.UUID) -> str:
    """Stable per (event, recipient): a rare re-send after a crash is recognisably the same mail."""
    stable = uuid.uuid5(_MESSAGE_ID_NAMESPACE, f"{cause_event_id}:{recipient_id}")
    return f"<{stable}@psy.edu.ru>"


def retry_delay(attempts: int, base: float, ceiling: float) -> float:
    """Exponential back-off after `attempts` failed tries (1 → base, 2 → 2·base, ...)."""
    return float(min(ceiling, base * 2 ** max(0, attempts - 1)))


def is_permanent_smtp_code(code: int | None) -> bool:
    """5xx replies (bad mailbox, refused) will not change on retry; 4xx and no reply might."""
    return code is not None and 500 <= code < 600
