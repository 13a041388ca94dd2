"""Tables of the sessions service and the queries its use cases need (SQLAlchemy Core)."""

import uuid
from datetime import datetime

from psy_platform.db import new_metadata
from psy_platform.outbox import outbox_table
from psy_platform.processed import processed_table
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    Uuid,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from psy_sessions.domain import Session

metadata = new_metadata()
outbox = outbox_table(metadata)
processed = processed_table(metadata)

sessions = Table(
    "sessions",
    metadata,
    Column("booking_id", Uuid, primary_key=True),
    Column("psychologist_id", Uuid, nullable=False),
    Column("booked_by", Uuid, nullable=False),
    Column("participant_id", Uuid, nullable=False),
    Column("participant_kind", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("place", Text),
    Column("generation", Integer, nullable=False, server_default="0"),
    Column("dispatch_at", DateTime(timezone=True), nullable=False),
    Column("dispatched_at", DateTime(timezone=True)),
    Column("room_id", Text),
    Column("room_url", Text),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("outcome", Text),
    Column("decided_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # What the dispatcher scans: only rows still waiting for their links.
    Index(
        "ix_sessions_due",
        "dispatch_at",
        postgresql_where=text("dispatched_at IS NULL AND cancelled_at IS NULL"),
    ),
    # What the room opener scans: online sessions without a room yet.
    Index(
        "ix_sessions_roomless",
        "starts_at",
        postgresql_where=text(
            "room_id IS NULL AND dispatched_at IS NULL AND cancelled_at IS NULL"
            " AND format IN ('video', 'chat')"
        ),
    ),
    # What the outcome worker scans: dispatched, not yet decided.
    Index(
        "ix_sessions_undecided",
        "ends_at",
        postgresql_where=text(
            "dispatched_at IS NOT NULL AND decided_at IS NULL AND cancelled_at IS NULL"
        ),
    ),
)

joins = Table(
    "joins",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("booking_id", Uuid, ForeignKey("sessions.booking_id"), nullable=False),
    Column("account_id", Uuid, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("via", Text, nullable=False),
    Index("ix_joins_booking_id", "booking_id", "generation"),
)

SESSION_COLUMNS = (
    sessions.c.booking_id,
    sessions.c.psychologist_id,
    sessions.c.booked_by,
    sessions.c.participant_id,
    sessions.c.participant_kind,
    sessions.c.format,
    sessions.c.starts_at,
    sessions.c.ends_at,
    sessions.c.place,
    sessions.c.generation,
    sessions.c.dispatched_at,
    sessions.c.room_id,
    sessions.c.room_url,
    sessions.c.cancelled_at,
    sessions.c.outcome,
)


def to_session(row: Row) -> Session:  # type: ignore[type-arg]
    return Session(**{c.name: getattr(row, c.name) for c in SESSION_COLUMNS})


async def insert_session(session: AsyncSession, values: dict[str, object]) -> bool:
    """False when the booking is already scheduled (a repeated booking.created)."""
    inserted = await session.execute(
        insert(sessions)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[sessions.c.booking_id])
        .returning(sessions.c.booking_id)
    )
    return inserted.first() is not None


async def get_session(
    session: AsyncSession, booking_id: uuid.UUID, for_update: bool = False
) -> Session | None:
    query = select(*SESSION_COLUMNS).where(sessions.c.booking_id == booking_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return to_session(row) if row else None


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[Session]:
    """Due rows no other dispatcher holds; locked until this transaction ends."""
    rows = await session.execute(
        select(*SESSION_COLUMNS)
        .where(
            sessions.c.dispatched_at.is_(None),
            sessions.c.cancelled_at.is_(None),
            sessions.c.dispatch_at <= now,
            sessions.c.ends_at > now,
        )
        .order_by(sessions.c.dispatch_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [to_session(r) for r in rows]


async def claim_roomless(
    session: AsyncSession, now: datetime, starting_before: datetime, limit: int
) -> list[Session]:
    """Online sessions starting soon that have no room yet; locked until this transaction ends."""
    rows = await session.execute(
        select(*SESSION_COLUMNS)
        .where(
            sessions.c.room_id.is_(None),
            sessions.c.dispatched_at.is_(None),
            sessions.c.cancelled_at.is_(None),
            sessions.c.format.in_(("video", "chat")),
            sessions.c.starts_at <= starting_before,
            sessions.c.ends_at > now,
        )
        .order_by(sessions.c.starts_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [to_session(r) for r in rows]


async def claim_undecided(
    session: AsyncSession, ended_before: datetime, limit: int
) -> list[Session]:
    rows = await session.execute(
        select(*SESSION_COLUMNS)
        .where(
            sessions.c.dispatched_at.is_not(None),
            sessions.c.decided_at.is_(None),
            sessions.c.cancelled_at.is_(None),
            sessions.c.format.in_(("video", "chat")),
            sessions.c.ends_at <= ended_before,
        )
        .order_by(sessions.c.ends_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [to_session(r) for r in rows]


async def joined_accounts(
    session: AsyncSession, booking_ids: list[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Who joined through the service, per booking, counting only each booking's current time."""
    rows = await session.execute(
        select(joins.c.booking_id, joins.c.account_id)
        .join(sessions, sessions.c.booking_id == joins.c.booking_id)
        .where(joins.c.booking_id.in_(booking_ids), joins.c.generation == sessions.c.generation)
        .distinct()
    )
    out: dict[uuid.UUID, set[uuid.UUID]] = {b: set() for b in booking_ids}
    for booking_id, account_id in rows:
        out[booking_id].add(account_id)
    return out


async def first_joins(session: AsyncSession, current: Session) -> list[Row]:  # type: ignore[type-arg]
    """Each participant's first join through the service, for the current time of the booking."""
    rows = await session.execute(
        select(joins.c.account_id, joins.c.at, joins.c.via)
        .where(joins.c.booking_id == current.booking_id, joins.c.generation == current.generation)
        .order_by(joins.c.account_id, joins.c.at)
        .ext(distinct_on(joins.c.account_id))
    )
    return sorted(rows.all(), key=lambda r: r.at)
