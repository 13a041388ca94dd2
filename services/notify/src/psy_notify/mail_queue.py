"""The e-mail queue (table email_outbox): enqueue in the consumer's transaction; claim, mark sent,
retry or give up in the sender's.

A claim is a lease (claimed_until), taken with FOR UPDATE SKIP LOCKED, so replicas never take
the same e-mail at once, and an e-mail whose sender died returns to the queue when its lease ends.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from psy_contracts.events.notify import NotificationDelivered, NotificationFailed
from psy_platform.outbox import stage
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from psy_notify.store import email_outbox, outbox

e = email_outbox.c


@dataclass(frozen=True)
class QueuedEmail:
    id: uuid.UUID
    cause_event_id: uuid.UUID
    recipient_id: uuid.UUID
    to_address: str
    subject: str
    text_body: str
    html_body: str
    ics: bytes | None
    ics_method: str | None
    message_id: str
    attempts: int


async def enqueue(
    session: AsyncSession,
    cause_event_id: uuid.UUID,
    recipient_id: uuid.UUID,
    to_address: str,
    subject: str,
    text_body: str,
    html_body: str,
    ics: bytes | None,
    ics_method: str | None,
    message_id: str,
) -> bool:
    """False when this (event, recipient) already has its e-mail."""
    done = await session.execute(
        insert(email_outbox)
        .values(
            id=uuid.uuid4(),
            cause_event_id=cause_event_id,
            recipient_id=recipient_id,
            to_address=to_address,
            subject=subject,
            text_body=text_body,
            html_body=html_body,
            ics=ics,
            ics_method=ics_method,
            message_id=message_id,
        )
        .on_conflict_do_nothing(constraint="uq_email_outbox_cause_recipient")
        .returning(e.id)
    )
    return done.first() is not None


async def claim(session: AsyncSession, limit: int, lease: timedelta) -> list[QueuedEmail]:
    due = (
        select(e.id)
        .where(
            e.status == "pending",
            e.next_attempt_at <= func.now(),
            or_(e.claimed_until.is_(None), e.claimed_until < func.now()),
        )
        .order_by(e.next_attempt_at, e.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = await session.execute(
        update(email_outbox)
        .where(e.id.in_(due))
        .values(claimed_until=func.now() + lease)
        .returning(
            e.id,
            e.cause_event_id,
            e.recipient_id,
            e.to_address,
            e.subject,
            e.text_body,
            e.html_body,
            e.ics,
            e.ics_method,
            e.message_id,
            e.attempts,
            e.created_at,
        )
    )
    ordered = sorted(rows, key=lambda r: r.created_at)
    return [
        QueuedEmail(**{k: v for k, v in r._asdict().items() if k != "created_at"}) for r in ordered
    ]


_FORGET_BODIES = {"text_body": None, "html_body": None, "ics": None, "claimed_until": None}


async def mark_sent(session: AsyncSession, mail: QueuedEmail) -> None:
    await session.execute(
        update(email_outbox)
        .where(e.id == mail.id)
        .values(status="sent", sent_at=func.now(), attempts=e.attempts + 1, **_FORGET_BODIES)
    )
    await stage(
        session,
        outbox,
        NotificationDelivered(
            notification_id=mail.id,
            cause_event_id=mail.cause_event_id,
            recipient_id=mail.recipient_id,
            channel="email",
        ),
        subject=mail.id,
    )


async def mark_retry(session: AsyncSession, mail: QueuedEmail, error: str, delay: float) -> None:
    await session.execute(
        update(email_outbox)
        .where(e.id == mail.id)
        .values(
            attempts=e.attempts + 1,
            last_error=error[:500],
            next_attempt_at=func.now() + timedelta(seconds=delay),
            claimed_until=None,
        )
    )


async def mark_dead(session: AsyncSession, mail: QueuedEmail, error: str) -> None:
    """Given up: the e-mail is kept (without its bodies) for the operator, and the failure is
    published as notification.failed."""
    await session.execute(
        update(email_outbox)
        .where(e.id == mail.id)
        .values(status="dead", attempts=e.attempts + 1, last_error=error[:500], **_FORGET_BODIES)
    )
    await stage(
        session,
        outbox,
        NotificationFailed(
            notification_id=mail.id,
            cause_event_id=mail.cause_event_id,
            recipient_id=mail.recipient_id,
            channel="email",
            error=error[:500],
        ),
        subject=mail.id,
    )


async def release(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """Hand unsent claims back at once (graceful stop), instead of waiting for the lease."""
    if ids:
        await session.execute(
            update(email_outbox)
            .where(e.id.in_(ids), e.status == "pending")
            .values(claimed_until=None)
        )
