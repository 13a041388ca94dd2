"""Booking events → a slot shows as taken or free in search. Run inside the transaction that
records the event id, so a redelivered event changes nothing."""

import logging

from psy_contracts import CloudEvent
from psy_contracts.events.booking import BookingCancelled, BookingCreated, BookingRescheduled
from sqlalchemy.ext.asyncio import AsyncSession

from psy_catalog.slots import release, take

log = logging.getLogger(__name__)


async def on_booking_event(session: AsyncSession, event: CloudEvent) -> None:
    data = event.payload()
    if isinstance(data, BookingCreated):
        if not await take(session, data.slot_id, data.booking_id):
            log.warning("booking %s names an unknown slot %s", data.booking_id, data.slot_id)
    elif isinstance(data, BookingCancelled):
        await release(session, data.slot_id, data.booking_id)
    elif isinstance(data, BookingRescheduled):
        await release(session, data.old_slot_id, data.booking_id)
        if not await take(session, data.slot_id, data.booking_id):
            log.warning("booking %s moved to an unknown slot %s", data.booking_id, data.slot_id)
    # completed / missed: the slot stays taken; it is in the past anyway.
