"""Events of the catalog service (topic psy.catalog.v1, key = psychologist id or slot id)."""

import uuid
from typing import ClassVar

from psy_contracts.events.common import EventData, Format, Instant, TimeZone


class PsychologistPublished(EventData):
    event_type: ClassVar[str] = "ru.psy.catalog.psychologist.published.v1"
    psychologist_id: uuid.UUID  # = the identity account id
    full_name: str
    school: str
    region: str
    timezone: TimeZone
    formats: list[Format]
    topics: list[str]


class SlotOpened(EventData):
    event_type: ClassVar[str] = "ru.psy.catalog.slot.opened.v1"
    slot_id: uuid.UUID
    psychologist_id: uuid.UUID
    starts_at: Instant
    ends_at: Instant
    timezone: TimeZone
    formats: list[Format]
    place: str | None = None  # school and room, for «Очно»


class SlotWithdrawn(EventData):
    event_type: ClassVar[str] = "ru.psy.catalog.slot.withdrawn.v1"
    slot_id: uuid.UUID
    psychologist_id: uuid.UUID
