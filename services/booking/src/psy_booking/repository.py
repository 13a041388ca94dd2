"""Queries of the booking use cases, each taking the caller's transaction."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from psy_booking.domain import Account, BookingFacts, Family, Slot, Status
from psy_booking.store import booking, family_link, slot

# Namespace of the per-participant advisory lock (the outbox relay uses 7_340_001).
PARTICIPANT_LOCK = 7_340_003

# One round trip for everything a booking decision reads from the replicas.
_CONTEXT = text(
    """
    SELECT s.id, s.psychologist_id, s.starts_at, s.ends_at, s.timezone, s.formats, s.place,
           s.withdrawn, p.topics AS psychologist_topics,
           ca.role AS caller_role, ca.birth_date AS caller_birth,
           pa.role AS participant_role, pa.birth_date AS participant_birth,
           EXISTS (SELECT 1 FROM family_link f
                   WHERE f.parent_id = :caller AND f.child_id = :participant) AS linked,
           EXISTS (SELECT 1 FROM family_link f WHERE f.child_id = :caller) AS caller_has_parent,
           EXISTS (SELECT 1 FROM booking b
                   WHERE b.slot_id = :slot AND b.status = 'confirmed') AS taken
    FROM (SELECT 1) AS one
    LEFT JOIN slot s ON s.id = :slot
    LEFT JOIN psychologist p ON p.id = s.psychologist_id
    LEFT JOIN account ca ON ca.id = :caller
    LEFT JOIN account pa ON pa.id = :participant
    """
)


def slot_of(row: Any) -> Slot | None:
    if row.id is None:
        return None
    return Slot(
        id=row.id,
        psychologist_id=row.psychologist_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        formats=tuple(row.formats),
        place=row.place,
        withdrawn=row.withdrawn,
    )


async def booking_context(
    session: AsyncSession, slot_id: uuid.UUID, caller: uuid.UUID, participant: uuid.UUID
) -> tuple[Slot | None, set[str], Family, bool]:
    """(slot, the psychologist's topics, the family facts, whether the slot is taken)."""
    row = (
        await session.execute(
            _CONTEXT, {"slot": slot_id, "caller": caller, "participant": participant}
        )
    ).one()
    family = Family(
        caller=Account(caller, row.caller_role, row.caller_birth) if row.caller_role else None,
        participant=(
            Account(participant, row.participant_role, row.participant_birth)
            if row.participant_role
            else None
        ),
        participant_is_callers_child=row.linked,
        caller_has_parent=row.caller_has_parent,
    )
    return slot_of(row), set(row.psychologist_topics or ()), family, row.taken


async def load_booking(
    session: AsyncSession, booking_id: uuid.UUID, for_update: bool = False
) -> Row[Any] | None:
    query = select(booking).where(booking.c.id == booking_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


def facts(row: Any) -> BookingFacts:
    return BookingFacts(
        id=row.id,
        status=Status(row.status),
        slot_id=row.slot_id,
        psychologist_id=row.psychologist_id,
        booked_by=row.booked_by,
        participant_id=row.participant_id,
        starts_at=row.starts_at,
    )


async def update_booking(session: AsyncSession, booking_id: uuid.UUID, **values: Any) -> Row[Any]:
    return (
        await session.execute(
            update(booking)
            .where(booking.c.id == booking_id)
            .values(**values, updated_at=func.now())
            .returning(booking)
        )
    ).one()


async def children_of(session: AsyncSession, parent: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.execute(
        select(family_link.c.child_id).where(family_link.c.parent_id == parent)
    )
    return set(rows.scalars())


async def bookings_seen_by(
    session: AsyncSession, user: uuid.UUID, role: str, children: set[uuid.UUID]
) -> Sequence[Row[Any]]:
    if role == "psychologist":
        where = booking.c.psychologist_id == user
    else:
        where = or_(
            booking.c.booked_by == user,
            booking.c.participant_id == user,
            booking.c.participant_id.in_(children),
        )
    return (await session.execute(select(booking).where(where).order_by(booking.c.starts_at))).all()


async def load_slot(session: AsyncSession, slot_id: uuid.UUID) -> Slot | None:
    row = (await session.execute(select(slot).where(slot.c.id == slot_id))).first()
    return slot_of(row) if row is not None else None


async def slot_taken(session: AsyncSession, slot_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(booking.c.id).where(
            booking.c.slot_id == slot_id, booking.c.status == Status.CONFIRMED
        )
    )
    return found is not None
