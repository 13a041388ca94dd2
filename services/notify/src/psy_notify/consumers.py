"""Kafka handlers: event → replica update and/or notices. Each runs inside the transaction that
records the event id (psy_platform.consumers), so it is idempotent by construction.

An event about a booking notify never saw (it was created before notify existed, or its
booking.created went to the DLQ) is logged by id and acknowledged: there is nobody to address.
"""

import logging
from dataclasses import replace

from psy_contracts import CloudEvent
from psy_contracts.events import booking as booking_events
from psy_contracts.events import identity, sessions
from sqlalchemy.ext.asyncio import AsyncSession

from psy_notify import domain, store
from psy_notify.domain import Booking, Contact
from psy_notify.notifications import Notifier

log = logging.getLogger(__name__)


class Handlers:
    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    async def on_identity(self, session: AsyncSession, event: CloudEvent) -> None:
        data = event.payload()
        if isinstance(data, identity.AccountRegistered):  # and AccountUpdated, its subclass
            person = Contact(data.account_id, data.role, data.full_name, data.email, data.timezone)
            await store.save_contact(session, person)
        elif isinstance(data, identity.FamilyUnlinked):
            await store.unlink_family(session, data.parent_id, data.child_id)
        elif isinstance(data, identity.FamilyLinked):
            await store.link_family(session, data.parent_id, data.child_id)

    async def on_booking(self, session: AsyncSession, event: CloudEvent) -> None:
        data = event.payload()
        if isinstance(data, booking_events.BookingCreated):
            await self._created(session, event, data)
            return
        if not isinstance(
            data, booking_events.BookingCancelled | booking_events.BookingRescheduled
        ):
            return  # completed/missed: the participants hear the outcome from sessions' events
        known = await self._known_booking(session, event, data.booking_id)
        if known is None or known.status == "cancelled":
            return
        guardians = await self._notifier.guardians(session, known)
        if isinstance(data, booking_events.BookingCancelled):
            changed = replace(known, status="cancelled", ics_sequence=known.ics_sequence + 1)
            notices = domain.cancellation_notices(
                changed, data.cancelled_by, data.reason, guardians
            )
        else:
            changed = replace(
                known,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                place=data.place if data.place is not None else known.place,
                ics_sequence=known.ics_sequence + 1,
            )
            notices = domain.reschedule_notices(changed, known.starts_at, guardians)
        await store.save_booking(session, changed)
        await self._notifier.deliver(session, event, changed, notices)

    async def _created(
        self, session: AsyncSession, event: CloudEvent, data: booking_events.BookingCreated
    ) -> None:
        facts = Booking(
            booking_id=data.booking_id,
            psychologist_id=data.psychologist_id,
            booked_by=data.booked_by,
            participant_id=data.participant_id,
            participant_kind=data.participant_kind,
            format=data.format,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            timezone=data.timezone,
            place=data.place,
        )
        await store.save_booking(session, facts)
        booker = (await store.contacts(session, [data.booked_by])).get(data.booked_by)
        parents = await store.parents_of(session, data.booked_by)
        notices = domain.confirmation_notices(facts, booker, parents, data.topics, data.comment)
        await self._notifier.deliver(session, event, facts, notices)

    async def on_link(self, session: AsyncSession, event: CloudEvent) -> None:
        data = event.payload()
        if not isinstance(data, sessions.LinkDispatched):
            return
        urls = {r.account_id: r.join_url for r in data.recipients}
        known = await store.find_booking(session, data.booking_id)
        if known is None:
            # The links topic can overtake the booking topic (a booking made after T-15 is
            # dispatched at once). The link is the message that matters most, and the event
            # carries what it needs: send it, worded without the booking's details.
            log.warning("link event %s for booking %s not yet known here: sending the links",
                        event.id, data.booking_id)  # fmt: skip
            known = domain.booking_from_links(data.booking_id, data.starts_at, data.ends_at)
            notices = domain.direct_link_notices(urls)
        elif known.status == "cancelled":
            return
        else:
            notices = domain.link_notices(known, urls)
        await self._notifier.deliver(session, event, known, notices)

    async def on_session(self, session: AsyncSession, event: CloudEvent) -> None:
        data = event.payload()
        if not isinstance(data, sessions.Attended | sessions.Missed):
            return  # session.joined: nothing to tell
        known = await self._known_booking(session, event, data.booking_id)
        if known is None:
            return
        attended = isinstance(data, sessions.Attended)
        absent = [] if attended else list(data.absent)  # type: ignore[union-attr]
        await store.save_booking(
            session, replace(known, status="attended" if attended else "missed")
        )
        notices = domain.outcome_notices(known, attended, absent)
        await self._notifier.deliver(session, event, known, notices)

    async def _known_booking(
        self, session: AsyncSession, event: CloudEvent, booking_id: object
    ) -> Booking | None:
        found = await store.find_booking(session, booking_id)  # type: ignore[arg-type]
        if found is None:
            log.warning("event %s (%s) is about an unknown booking %s: acknowledged, nothing sent",
                        event.id, event.type, booking_id)  # fmt: skip
        return found
