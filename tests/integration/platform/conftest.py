import uuid
from collections.abc import AsyncIterator

import pytest
from psy_platform.db import Database, new_metadata
from psy_platform.outbox import outbox_table
from psy_platform.processed import processed_table
from sqlalchemy import Column, Table, Text, Uuid

metadata = new_metadata()
OUTBOX = outbox_table(metadata)
PROCESSED = processed_table(metadata)
# The "effect" of the consumer under test: one row per handled event.
EFFECTS = Table(
    "effect",
    metadata,
    Column("id", Uuid, primary_key=True, default=uuid.uuid4),
    Column("event_id", Uuid, nullable=False),
    Column("note", Text),
)


@pytest.fixture
async def db(new_database) -> AsyncIterator[Database]:  # type: ignore[no-untyped-def]
    database = Database(await new_database("platform"))
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield database
    await database.close()
