"""Processed-event table: a consumer records each handled event id in the effect's transaction."""

import uuid

from sqlalchemy import Column, DateTime, MetaData, Table, Text, Uuid, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


def processed_table(metadata: MetaData) -> Table:
    return Table(
        "processed_event",
        metadata,
        Column("consumer_group", Text, primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def first_time(session: AsyncSession, table: Table, group: str, event_id: uuid.UUID) -> bool:
    """Record the event as handled by `group`; False when it already was (a redelivery)."""
    inserted = await session.execute(
        insert(table)
        .values(consumer_group=group, event_id=event_id)
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )
    return inserted.first() is not None
