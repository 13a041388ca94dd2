"""Events of the sessions service (key = booking id).

session.link_dispatched carries join URLs, which are capabilities: it goes on the internal topic
psy.sessions.links.v1. The others go on psy.sessions.v1.
"""

import uuid
from typing import ClassVar, Literal

from psy_contracts.events.common import EventData, Instant


class Recipient(EventData):
    account_id: uuid.UUID
    join_url: str


class LinkDispatched(EventData):
    event_type: ClassVar[str] = "ru.psy.sessions.session.link_dispatched.v1"
    booking_id: uuid.UUID
    starts_at: Instant
    ends_at: Instant
    recipients: list[Recipient]


class Joined(EventData):
    event_type: ClassVar[str] = "ru.psy.sessions.session.joined.v1"
    booking_id: uuid.UUID
    account_id: uuid.UUID
    at: Instant
    via: Literal["button", "email_link"]


class Attended(EventData):
    event_type: ClassVar[str] = "ru.psy.sessions.session.attended.v1"
    booking_id: uuid.UUID


class Missed(EventData):
    event_type: ClassVar[str] = "ru.psy.sessions.session.missed.v1"
    booking_id: uuid.UUID
    absent: list[uuid.UUID]
