"""Events of the notify service (topic psy.notify.v1, key = notification id)."""

import uuid
from typing import ClassVar, Literal

from psy_contracts.events.common import EventData


class NotificationDelivered(EventData):
    event_type: ClassVar[str] = "ru.psy.notify.notification.delivered.v1"
    notification_id: uuid.UUID
    cause_event_id: uuid.UUID
    recipient_id: uuid.UUID
    channel: Literal["email", "inbox"]
    error: str | None = None


class NotificationFailed(NotificationDelivered):
    event_type: ClassVar[str] = "ru.psy.notify.notification.failed.v1"
