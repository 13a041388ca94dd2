"""Slots one at a time: opened and withdrawn by the psychologist, taken and freed by bookings."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from psy_catalog import nearest
from psy_catalog.domain import DateRange, Rejected, check_duration, check_formats, zone
from psy_catalog.events import slot_opened, slot_withdrawn, stage_many
from psy_catalog.profiles import Profile
from psy_catalog.store import slot


@dataclass(frozen=True)
class SlotView:
    id: uuid.UUID
    psychologist_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    formats: list[str]
    place: str | None
    status: str  # free | taken


_REOPEN_OR_INSERT = text(
    """
    INSERT INTO slot (id, psychologist_id, starts_at, ends_at, local_day, formats, place, status,
                      origin)
    VALUES (:id, :pid, :starts, :ends, :day, :formats, :place, 'free', 'single')
    ON CONFLICT (psychologist_id, starts_at) DO UPDATE
       SET status = 'free', origin = 'single', withdrawn_reason = NULL,
           ends_at = EXCLUDED.ends_at, formats = EXCLUDED.formats, place = EXCLUDED.place
     WHERE slot.status = 'withdrawn'
    RETURNING id, psychologist_id, starts_at, ends_at, formats, place, status
    """
)


async def open_single(
    session: AsyncSession,
    profile: Profile,
    starts_at: datetime,
    duration_minutes: int,
    formats: list[str],
    place: str | None,
    now: datetime,
    horizon_days: int,
) -> SlotView:
    """A one-off slot. A naive `starts_at` is wall-clock time in the psychologist's zone."""
    check_duration(duration_minutes)
    place = place or (profile.place if "in_person" in formats else None)
    formats = check_formats(formats, place, profile.formats)
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=zone(profile.timezone))
    if starts_at <= now:
        raise Rejected(422, "slot_in_past", "Время консультации уже прошло.")
    if starts_at > now + timedelta(days=horizon_days):
        raise Rejected(
            422, "too_far_ahead", f"Окно можно открыть не дальше чем на {horizon_days} дней вперёд."
        )
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    await nearest.lock(session, [profile.id])
    overlapping = await session.scalar(
        select(slot.c.id)
        .where(
            slot.c.psychologist_id == profile.id,
            slot.c.status != "withdrawn",
            slot.c.starts_at < ends_at,
            slot.c.ends_at > starts_at,
        )
        .limit(1)
    )
    if overlapping is not None:
        raise Rejected(409, "slot_overlaps", "В это время у вас уже есть окно для консультации.")
    row = (
        await session.execute(
            _REOPEN_OR_INSERT,
            {
                "id": uuid.uuid4(),
                "pid": profile.id,
                "starts": starts_at,
                "ends": ends_at,
                "formats": formats,
                "place": place,
                "day": starts_at.astimezone(zone(profile.timezone)).date(),
            },
        )
    ).first()
    if row is None:  # lost a race with a concurrent insert at the same time
        raise Rejected(409, "slot_overlaps", "В это время у вас уже есть окно для консультации.")
    await stage_many(session, [slot_opened(row, profile.timezone)])
    await nearest.refresh(session, [profile.id])
    return SlotView(
        row.id,
        row.psychologist_id,
        row.starts_at,
        row.ends_at,
        list(row.formats),
        row.place,
        row.status,
    )


async def withdraw(
    session: AsyncSession, psychologist_id: uuid.UUID, slot_id: uuid.UUID, now: datetime
) -> None:
    """Withdraw an own free slot. Withdrawing twice is fine; a taken slot must be cancelled in
    booking first (the client has to be told)."""
    await nearest.lock(session, [psychologist_id])
    row = (
        await session.execute(
            select(slot)
            .where(slot.c.id == slot_id, slot.c.psychologist_id == psychologist_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise Rejected(404, "slot_not_found", "Окно не найдено.")
    if row.status == "withdrawn":
        return
    if row.status == "taken":
        raise Rejected(409, "slot_taken", "На это время есть запись: сначала отмените её.")
    if row.starts_at <= now:
        raise Rejected(409, "slot_in_past", "Прошедшее окно нельзя снять.")
    await session.execute(
        slot.update()
        .where(slot.c.id == slot_id)
        .values(status="withdrawn", withdrawn_reason="manual")
    )
    await stage_many(session, [slot_withdrawn(row)])
    await nearest.refresh(session, [psychologist_id])


async def list_slots(
    session: AsyncSession,
    profile: Profile,
    days: DateRange,
    fmt: str | None,
    now: datetime,
) -> list[SlotView]:
    """Free and taken slots of one psychologist on local days `days`, from now on."""
    start, end = days.utc_bounds(zone(profile.timezone))
    conditions = [
        slot.c.psychologist_id == profile.id,
        slot.c.status.in_(("free", "taken")),
        slot.c.starts_at >= max(start, now),
        slot.c.starts_at < end,
    ]
    if fmt is not None:
        conditions.append(slot.c.formats.any_() == fmt)
    rows = await session.execute(select(slot).where(and_(*conditions)).order_by(slot.c.starts_at))
    return [
        SlotView(
            r.id, r.psychologist_id, r.starts_at, r.ends_at, list(r.formats), r.place, r.status
        )
        for r in rows
    ]


async def _owner(session: AsyncSession, slot_id: uuid.UUID) -> uuid.UUID | None:
    owner = await session.scalar(select(slot.c.psychologist_id).where(slot.c.id == slot_id))
    if owner is not None:
        await nearest.lock(session, [owner])
    return owner


async def take(session: AsyncSession, slot_id: uuid.UUID, booking_id: uuid.UUID) -> bool:
    """A booking holds the slot. Applied even to a withdrawn slot: the booking exists."""
    owner = await _owner(session, slot_id)
    if owner is None:
        return False
    await session.execute(
        slot.update().where(slot.c.id == slot_id).values(status="taken", booking_id=booking_id)
    )
    await nearest.refresh(session, [owner])
    return True


async def release(session: AsyncSession, slot_id: uuid.UUID, booking_id: uuid.UUID) -> bool:
    """Free the slot, but only from this booking: a later booking of the slot stays."""
    owner = await _owner(session, slot_id)
    if owner is None:
        return False
    result = await session.execute(
        slot.update()
        .where(slot.c.id == slot_id, slot.c.booking_id == booking_id, slot.c.status == "taken")
        # A slot withdrawn while the booking was on its way goes back to withdrawn, not free.
        .values(
            status=case((slot.c.withdrawn_reason.is_not(None), "withdrawn"), else_="free"),
            booking_id=None,
        )
        .returning(slot.c.id)
    )
    await nearest.refresh(session, [owner])
    return result.first() is not None
