"""Kafka handlers: replicas from catalog and identity, outcomes from sessions.

Each runs inside the transaction that records the event id (psy_platform.consumers), so a
redelivery has no second effect. Upserts keep replicas right whatever the arrival order of an
aggregate's events (they share a key, so Kafka keeps them in order anyway).
"""

from psy_contracts import CloudEvent
from psy_contracts.events import catalog, identity, sessions
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from psy_booking.changes import record_outcome
from psy_booking.store import account, family_link, psychologist, slot


async def _upsert(session: AsyncSession, table, key: str, values: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    statement = insert(table).values(**values)
    changed = {k: v for k, v in values.items() if k != key}
    await session.execute(statement.on_conflict_do_update(index_elements=[key], set_=changed))


async def on_catalog(session: AsyncSession, event: CloudEvent) -> None:
    data = event.payload()
    if isinstance(data, catalog.PsychologistPublished):
        await _upsert(
            session,
            psychologist,
            "id",
            {
                "id": data.psychologist_id,
                "timezone": data.timezone,
                "topics": list(data.topics),
                "formats": list(data.formats),
            },
        )
    elif isinstance(data, catalog.SlotOpened):
        await _upsert(
            session,
            slot,
            "id",
            {
                "id": data.slot_id,
                "psychologist_id": data.psychologist_id,
                "starts_at": data.starts_at,
                "ends_at": data.ends_at,
                "timezone": data.timezone,
                "formats": list(data.formats),
                "place": data.place,
                "withdrawn": False,
            },
        )
    elif isinstance(data, catalog.SlotWithdrawn):
        # A booking already made for it stays: the psychologist cancels it, with a reason.
        await session.execute(slot.update().where(slot.c.id == data.slot_id).values(withdrawn=True))


async def on_identity(session: AsyncSession, event: CloudEvent) -> None:
    data = event.payload()
    if isinstance(data, identity.AccountRegistered):  # also AccountUpdated
        await _upsert(
            session,
            account,
            "id",
            {"id": data.account_id, "role": data.role, "birth_date": data.birth_date},
        )
    elif isinstance(data, identity.FamilyUnlinked):
        await session.execute(
            delete(family_link).where(
                family_link.c.parent_id == data.parent_id, family_link.c.child_id == data.child_id
            )
        )
    elif isinstance(data, identity.FamilyLinked):
        await session.execute(
            insert(family_link)
            .values(parent_id=data.parent_id, child_id=data.child_id)
            .on_conflict_do_nothing()
        )


async def on_sessions(session: AsyncSession, event: CloudEvent) -> None:
    data = event.payload()
    if isinstance(data, sessions.Attended):
        await record_outcome(session, data.booking_id, "attended")
    elif isinstance(data, sessions.Missed):
        await record_outcome(session, data.booking_id, "missed", list(data.absent))
