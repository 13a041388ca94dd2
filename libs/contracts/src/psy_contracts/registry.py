"""Event type → data model, and the topic each type is published on."""

from pydantic import BaseModel

from psy_contracts import topics
from psy_contracts.events import booking, catalog, identity, notify, sessions

_BY_TOPIC: dict[str, tuple[type[BaseModel], ...]] = {
    topics.IDENTITY: (
        identity.AccountRegistered,
        identity.AccountUpdated,
        identity.FamilyLinked,
        identity.FamilyUnlinked,
        identity.SferumLinked,
    ),
    topics.CATALOG: (catalog.PsychologistPublished, catalog.SlotOpened, catalog.SlotWithdrawn),
    topics.BOOKING: (
        booking.BookingCreated,
        booking.BookingCancelled,
        booking.BookingRescheduled,
        booking.BookingCompleted,
        booking.BookingMissed,
    ),
    topics.SESSIONS: (sessions.Joined, sessions.Attended, sessions.Missed),
    topics.SESSION_LINKS: (sessions.LinkDispatched,),
    topics.NOTIFY: (notify.NotificationDelivered, notify.NotificationFailed),
}

EVENT_TYPES: dict[str, type[BaseModel]] = {
    model.event_type: model  # type: ignore[attr-defined]
    for models in _BY_TOPIC.values()
    for model in models
}
TOPIC_OF: dict[str, str] = {
    model.event_type: topic  # type: ignore[attr-defined]
    for topic, models in _BY_TOPIC.items()
    for model in models
}


def data_model_for(event_type: str) -> type[BaseModel]:
    """Raises KeyError for a type this contract version does not know."""
    return EVENT_TYPES[event_type]


def type_of(model: type[BaseModel]) -> str:
    return model.event_type  # type: ignore[attr-defined,no-any-return]


def topic_of(event_type: str) -> str:
    return TOPIC_OF[event_type]
