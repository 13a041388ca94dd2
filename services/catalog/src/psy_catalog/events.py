"""Staging many events in one statement: generation opens thousands of slots at once.

Rows are exactly what psy_platform.outbox.stage writes (same envelope, topic, key and lane), only
inserted in bulk, with a single NOTIFY for the relay.
"""

from collections.abc import Sequence

from psy_contracts import new_event
from psy_contracts.events.catalog import SlotOpened, SlotWithdrawn
from psy_contracts.registry import topic_of
from psy_platform.outbox import NOTIFY_CHANNEL, lane_of
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from psy_catalog.store import outbox


async def stage_many(session: AsyncSession, events: Sequence[tuple[BaseModel, object]]) -> int:
    """Write (data, subject) pairs to the outbox inside the caller's transaction."""
    if not events:
        return 0
    rows = []
    for data, subject in events:
        event = new_event(data, str(subject))
        rows.append(
            {
                "event_id": event.id,
                "topic": topic_of(event.type),
                "key": event.subject,
                "lane": lane_of(event.subject),
                "payload": event.to_json(),
            }
        )
    await session.execute(outbox.insert(), rows)
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    return len(rows)


def slot_opened(row: object, timezone: str) -> tuple[SlotOpened, object]:
    """`row` has id, psychologist_id, starts_at, ends_at, formats, place (a slot row)."""
    data = SlotOpened(
        slot_id=row.id,  # type: ignore[attr-defined]
        psychologist_id=row.psychologist_id,  # type: ignore[attr-defined]
        starts_at=row.starts_at,  # type: ignore[attr-defined]
        ends_at=row.ends_at,  # type: ignore[attr-defined]
        timezone=timezone,
        formats=list(row.formats),  # type: ignore[attr-defined]
        place=row.place,  # type: ignore[attr-defined]
    )
    return data, data.slot_id


def slot_withdrawn(row: object) -> tuple[SlotWithdrawn, object]:
    data = SlotWithdrawn(slot_id=row.id, psychologist_id=row.psychologist_id)  # type: ignore[attr-defined]
    return data, data.slot_id
