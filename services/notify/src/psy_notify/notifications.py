"""Use cases: an incoming event → the notices it causes → inbox rows and queued e-mails.

Everything here runs inside the consumer's transaction, which also records the event id: the
inbox row, the queued e-mail and their notification events commit together or not at all, and
(cause event, recipient) is unique in both tables, so a redelivered event changes nothing.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from psy_contracts import CloudEvent
from psy_contracts.events.notify import NotificationDelivered
from psy_platform.outbox import stage
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from psy_notify import domain, ics, live, mail_queue, store
from psy_notify.config import NotifySettings
from psy_notify.domain import Booking, Contact, Notice
from psy_notify.messages import render

log = logging.getLogger(__name__)


class Notifier:
    def __init__(
        self, settings: NotifySettings, redis: Redis | None, wake_sender: Callable[[], None]
    ) -> None:
        self._settings = settings
        self._redis = redis
        self._wake_sender = wake_sender
        self._organizer = parseaddr(settings.mail_from)[1] or "no-reply@psy.edu.ru"

    async def guardians(self, session: AsyncSession, booking: Booking) -> list[uuid.UUID]:
        booker = (await store.contacts(session, [booking.booked_by])).get(booking.booked_by)
        parents = await store.parents_of(session, booking.booked_by)
        return domain.guardians_to_tell(booking, booker, parents)

    async def deliver(
        self,
        session: AsyncSession,
        cause: CloudEvent,
        booking: Booking,
        notices: list[Notice],
        extra: dict[str, Any] | None = None,
    ) -> None:
        people = await store.contacts(
            session,
            [
                booking.booked_by,
                booking.participant_id,
                booking.psychologist_id,
                *(n.recipient_id for n in notices),
            ],
        )
        queued = False
        for notice in notices:
            contact = people.get(notice.recipient_id)
            rendered = render(notice.kind, self._context(booking, notice, contact, people, extra))
            item = await store.add_inbox_message(
                session, notice.recipient_id, cause.id, booking.booking_id,
                rendered.subject, rendered.body,
            )  # fmt: skip
            if item is not None:
                await self._inbox_delivered(session, cause, notice.recipient_id, item)
            if contact is None or not contact.email:
                log.info(
                    "recipient %s of event %s has no e-mail on record: inbox only",
                    notice.recipient_id,
                    cause.id,
                )
                continue
            attachment = (
                ics.calendar(booking, notice.ics, self._organizer, contact.email)
                if notice.ics
                else None
            )
            queued |= await mail_queue.enqueue(
                session,
                cause_event_id=cause.id,
                recipient_id=notice.recipient_id,
                to_address=contact.email,
                subject=rendered.subject,
                text_body=rendered.text,
                html_body=rendered.html,
                ics=attachment,
                ics_method=notice.ics,
                message_id=domain.message_id(cause.id, notice.recipient_id),
            )
        if queued:
            wake = self._wake_sender

            async def wake_after_commit() -> None:
                wake()

            live.after_commit(session, wake_after_commit)

    async def _inbox_delivered(
        self, session: AsyncSession, cause: CloudEvent, recipient: uuid.UUID, item: dict[str, Any]
    ) -> None:
        message_id = item["id"]
        assert isinstance(message_id, uuid.UUID)
        await stage(
            session,
            store.outbox,
            NotificationDelivered(
                notification_id=message_id,
                cause_event_id=cause.id,
                recipient_id=recipient,
                channel="inbox",
            ),
            subject=message_id,
        )
        redis = self._redis
        if redis is not None:

            async def push() -> None:
                await live.publish(redis, recipient, item)

            live.after_commit(session, push)

    def _context(
        self,
        booking: Booking,
        notice: Notice,
        contact: Contact | None,
        people: dict[uuid.UUID, Contact],
        extra: dict[str, Any] | None,
    ) -> dict[str, Any]:
        tz = domain.zone(contact.timezone if contact else None, booking.timezone)

        def name(account: uuid.UUID) -> str | None:
            found = people.get(account)
            return found.full_name if found else None

        def when(instant: datetime) -> str:
            return domain.local_time(instant, tz)

        portal = self._settings.portal_url.rstrip("/")
        context: dict[str, Any] = {
            "name": contact.full_name if contact else None,
            "part": notice.part,
            "format": booking.format,
            "format_title": domain.FORMAT_TITLES.get(booking.format, booking.format),
            "when": when(booking.starts_at),
            "ends": f"{booking.ends_at.astimezone(tz):%H:%M}",
            "place": booking.place,
            "psychologist_name": name(booking.psychologist_id) or "психолог",
            "client_name": name(booking.booked_by) or "клиент",
            "participant_name": name(booking.participant_id),
            "portal_url": portal,
            "my_bookings_url": f"{portal}/bookings",
            "topics": [],
            "comment": None,
            "cancelled_by": None,
            "reason": None,
            "old_when": None,
            "join_url": None,
            "was_absent": False,
            **(extra or {}),
            **notice.context,
        }
        old = notice.context.get("old_starts_at")
        if isinstance(old, datetime):
            context["old_when"] = when(old)
        return context
