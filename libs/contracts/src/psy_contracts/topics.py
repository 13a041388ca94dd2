"""Kafka topic names. One topic per producing service; keys are aggregate ids."""

IDENTITY = "psy.identity.v1"
CATALOG = "psy.catalog.v1"
BOOKING = "psy.booking.v1"
SESSIONS = "psy.sessions.v1"
# Join URLs are capabilities: this topic is internal, outside consumers are never granted it.
SESSION_LINKS = "psy.sessions.links.v1"
NOTIFY = "psy.notify.v1"

PUBLIC = (IDENTITY, CATALOG, BOOKING, SESSIONS, NOTIFY)
ALL = (*PUBLIC, SESSION_LINKS)


def dead_letter(topic: str, group: str) -> str:
    """The dead-letter topic of one consumer group on one topic."""
    return f"{topic}.dlq.{group}"
