"""Holding a slot while the user fills in step 5, and letting it go."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from psy_platform.auth import Principal

from psy_booking import domain
from psy_booking.context import UseCases, local_day
from psy_booking.domain import Refusal
from psy_booking.repository import booking_context


@dataclass(frozen=True)
class HeldSlot:
    id: uuid.UUID
    slot_id: uuid.UUID
    expires_at: datetime


async def hold_slot(uc: UseCases, user: Principal, slot_id: uuid.UUID) -> HeldSlot:
    """Only someone who could book it may hold it: a free, bookable slot; a client who may book."""
    domain.may_book_at_all(user.role)
    now = uc.clock()
    async with uc.db.transaction() as session:
        found, _, family, taken = await booking_context(session, slot_id, user.id, user.id)
    slot = domain.slot_bookable(found, now, uc.rules)
    if taken:
        raise Refusal("slot_taken")
    domain.participant_kind(user.id, user.role, family, local_day(now, slot.timezone), uc.rules)
    hold = await uc.holds.take(slot_id, user.id)
    if hold is None:
        raise Refusal("slot_held")
    return HeldSlot(hold.id, slot_id, now + timedelta(seconds=uc.holds.seconds))


async def release_hold(uc: UseCases, user: Principal, hold_id: uuid.UUID) -> None:
    if not await uc.holds.release(user.id, hold_id=hold_id):
        raise Refusal("hold_not_found")
