"""booking.* → the schedule. Runs inside the transaction that records the event id."""

import logging
from datetime import timedelta

from psy_contracts import CloudEvent
from psy_contracts.events.booking import BookingCancelled, BookingCreated, BookingRescheduled
from psy_platform.consumers import Handler
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from psy_sessions import store
from psy_sessions.domain import dispatch_at

log = logging.getLogger(__name__)


def booking_handler(lead: timedelta) -> Handler:
    async def on_booking_event(session: AsyncSession, event: CloudEvent) -> None:
        data = event.payload()
        if isinstance(data, BookingCreated):
            await on_created(session, data, lead)
        elif isinstance(data, BookingCancelled):
            await on_cancelled(session, data)
        elif isinstance(data, BookingRescheduled):
            await on_rescheduled(session, data, lead)
        # completed / missed: the outcome came from us; nothing to schedule.

    return on_booking_event


async def on_created(session: AsyncSession, data: BookingCreated, lead: timedelta) -> None:
    # Topics and comment are sensitive and not ours to keep: not stored.
    await store.insert_session(
        session,
        {
            "booking_id": data.booking_id,
            "psychologist_id": data.psychologist_id,
            "booked_by": data.booked_by,
            "participant_id": data.participant_id,
            "participant_kind": data.participant_kind,
            "format": data.format,
            "starts_at": data.starts_at,
            "ends_at": data.ends_at,
            "place": data.place,
            "dispatch_at": dispatch_at(data.starts_at, lead),
        },
    )


async def on_cancelled(session: AsyncSession, data: BookingCancelled) -> None:
    # Not yet dispatched → it never will be; already dispatched → the door is closed.
    s = store.sessions
    result = await session.execute(
        update(s)
        .where(s.c.booking_id == data.booking_id, s.c.cancelled_at.is_(None))
        .values(cancelled_at=func.now())
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        log.warning(
            "booking.cancelled for unknown or already cancelled booking %s", data.booking_id
        )


async def on_rescheduled(session: AsyncSession, data: BookingRescheduled, lead: timedelta) -> None:
    """A new time is a new session: a new generation, so a new room and new links at its T-15;
    the links sent for the old time stop working and joins made under it no longer count."""
    current = await store.get_session(session, data.booking_id, for_update=True)
    if current is None or current.cancelled_at is not None or current.outcome is not None:
        log.warning("booking.rescheduled ignored for booking %s", data.booking_id)
        return
    s = store.sessions
    await session.execute(
        update(s)
        .where(s.c.booking_id == data.booking_id)
        .values(
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            place=data.place,
            generation=s.c.generation + 1,
            dispatch_at=dispatch_at(data.starts_at, lead),
            dispatched_at=None,
            room_id=None,
            room_url=None,
        )
    )
