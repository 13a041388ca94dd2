"""Events of the booking service (topic psy.booking.v1, key = booking id)."""

import uuid
from typing import ClassVar, Literal

from psy_contracts.events.common import EventData, Format, Instant, TimeZone


class BookingCreated(EventData):
    event_type: ClassVar[str] = "ru.psy.booking.booking.created.v1"
    booking_id: uuid.UUID
    slot_id: uuid.UUID
    psychologist_id: uuid.UUID
    booked_by: uuid.UUID
    participant_id: uuid.UUID
    participant_kind: Literal["self", "child"]
    format: Format
    topics: list[str]  # sensitive: consumers other than notify should not keep them
    comment: str | None = None  # sensitive, as topics
    starts_at: Instant
    ends_at: Instant
    timezone: TimeZone
    place: str | None = None


class BookingCancelled(EventData):
    event_type: ClassVar[str] = "ru.psy.booking.booking.cancelled.v1"
    booking_id: uuid.UUID
    slot_id: uuid.UUID
    cancelled_by: uuid.UUID
    reason: str


class BookingRescheduled(EventData):
    event_type: ClassVar[str] = "ru.psy.booking.booking.rescheduled.v1"
    booking_id: uuid.UUID
    old_slot_id: uuid.UUID
    slot_id: uuid.UUID
    starts_at: Instant
    ends_at: Instant
    place: str | None = None


class BookingCompleted(EventData):
    event_type: ClassVar[str] = "ru.psy.booking.booking.completed.v1"
    booking_id: uuid.UUID


class BookingMissed(EventData):
    event_type: ClassVar[str] = "ru.psy.booking.booking.missed.v1"
    booking_id: uuid.UUID
    absent: list[uuid.UUID]  # account ids of who did not join through the service
