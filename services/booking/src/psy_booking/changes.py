"""Changing a confirmed booking: cancel, reschedule (until the start), and the final outcome."""

import uuid
from typing import Any, Literal

from psy_contracts.events.booking import (
    BookingCancelled,
    BookingCompleted,
    BookingMissed,
    BookingRescheduled,
)
from psy_platform.auth import Principal
from psy_platform.outbox import stage
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from psy_booking import domain
from psy_booking.access import visible_booking
from psy_booking.context import UseCases
from psy_booking.domain import BookingFacts, Refusal, Status
from psy_booking.repository import facts, load_booking, load_slot, slot_taken, update_booking
from psy_booking.store import ACTIVE_SLOT_INDEX, OUTBOX


async def _changeable(
    session: AsyncSession, uc: UseCases, user: Principal, booking_id: uuid.UUID
) -> tuple[Any, BookingFacts]:
    row, _ = await visible_booking(session, user, booking_id, for_update=True)
    booking = facts(row)
    if not domain.may_change(booking, user.id):
        raise Refusal("not_allowed")
    domain.still_changeable(booking, uc.clock())
    return row, booking


async def cancel(uc: UseCases, user: Principal, booking_id: uuid.UUID, reason: str) -> Any:
    """The slot is free again at once: a cancelled booking leaves the partial unique index."""
    async with uc.db.transaction() as session:
        row, _ = await _changeable(session, uc, user, booking_id)
        why = domain.reason_fits(reason, uc.rules)
        row = await update_booking(
            session,
            booking_id,
            status=Status.CANCELLED.value,
            cancel_reason=why,
            cancelled_by=user.id,
        )
        await stage(
            session,
            OUTBOX,
            BookingCancelled(
                booking_id=row.id, slot_id=row.slot_id, cancelled_by=user.id, reason=why
            ),
            subject=row.id,
        )
    return row


async def reschedule(
    uc: UseCases, user: Principal, booking_id: uuid.UUID, slot_id: uuid.UUID
) -> Any:
    """Same booking id, another free slot of the same psychologist; the old slot is freed."""
    try:
        async with uc.db.transaction() as session:
            row, booking = await _changeable(session, uc, user, booking_id)
            target = domain.reschedule_target(
                booking, await load_slot(session, slot_id), row.format, uc.clock(), uc.rules
            )
            hold = await uc.holds.holder_of(slot_id)
            if hold is not None and hold.holder != user.id:
                raise Refusal("slot_held")
            if await slot_taken(session, slot_id):
                raise Refusal("slot_taken")
            old_slot = row.slot_id
            row = await update_booking(
                session,
                booking_id,
                slot_id=target.id,
                starts_at=target.starts_at,
                ends_at=target.ends_at,
                timezone=target.timezone,
                place=target.place,
            )
            await stage(
                session,
                OUTBOX,
                BookingRescheduled(
                    booking_id=row.id,
                    old_slot_id=old_slot,
                    slot_id=row.slot_id,
                    starts_at=row.starts_at,
                    ends_at=row.ends_at,
                    place=row.place,
                ),
                subject=row.id,
            )
    except IntegrityError as exc:
        if ACTIVE_SLOT_INDEX in str(exc.orig):
            raise Refusal("slot_taken") from exc
        raise
    await uc.holds.release(user.id, slot_id=slot_id)
    return row


async def record_outcome(
    session: AsyncSession,
    booking_id: uuid.UUID,
    outcome: Literal["attended", "missed"],
    absent: list[uuid.UUID] | None = None,
) -> None:
    """From sessions: the final status, once. A late or duplicate outcome, or one for a
    cancelled booking, changes nothing and publishes nothing."""
    row = await load_booking(session, booking_id, for_update=True)
    if row is None:
        return
    target = domain.outcome_status(Status(row.status), outcome)
    if target is None:
        return
    await update_booking(session, booking_id, status=target.value)
    event = (
        BookingCompleted(booking_id=booking_id)
        if target is Status.COMPLETED
        else BookingMissed(booking_id=booking_id, absent=absent or [])
    )
    await stage(session, OUTBOX, event, subject=booking_id)
