"""Notify's tables (SQLAlchemy Core) and the queries of the replicas and the inbox.

The e-mail queue's claim/mark queries live in mail_queue.py; its table is here with the rest.
"""

import uuid
from datetime import datetime

from psy_platform.db import new_metadata
from psy_platform.outbox import outbox_table
from psy_platform.processed import processed_table
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from psy_notify.domain import Booking, Contact

metadata = new_metadata()
outbox = outbox_table(metadata)
processed = processed_table(metadata)

contact = Table(
    "contact",
    metadata,
    Column("account_id", Uuid, primary_key=True),
    Column("role", Text, nullable=False),
    Column("full_name", Text, nullable=False),
    Column("email", Text),
    Column("timezone", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

family_link = Table(
    "family_link",
    metadata,
    Column("parent_id", Uuid, primary_key=True),
    Column("child_id", Uuid, primary_key=True),
    Index("ix_family_link_child_id", "child_id"),
)

# What later messages need of a booking. Topics and comment are deliberately absent.
booking = Table(
    "booking",
    metadata,
    Column("booking_id", Uuid, primary_key=True),
    Column("psychologist_id", Uuid, nullable=False),
    Column("booked_by", Uuid, nullable=False),
    Column("participant_id", Uuid, nullable=False),
    Column("participant_kind", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("timezone", Text, nullable=False),
    Column("place", Text),
    Column("status", Text, nullable=False),
    Column("ics_sequence", Integer, nullable=False),
)

inbox_message = Table(
    "inbox_message",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=False),
    Column("cause_event_id", Uuid, nullable=False),
    Column("booking_id", Uuid),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("read_at", DateTime(timezone=True)),
    UniqueConstraint("cause_event_id", "account_id", name="uq_inbox_message_cause_recipient"),
    Index("ix_inbox_message_account_id_created_at", "account_id", "created_at"),
    Index("ix_inbox_message_unread", "account_id", postgresql_where=text("read_at IS NULL")),
)

email_outbox = Table(
    "email_outbox",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("cause_event_id", Uuid, nullable=False),
    Column("recipient_id", Uuid, nullable=False),
    Column("to_address", Text, nullable=False),
    Column("subject", Text, nullable=False),
    # Bodies may name consultation topics: cleared once the e-mail is sent or given up.
    Column("text_body", Text),
    Column("html_body", Text),
    Column("ics", LargeBinary),
    Column("ics_method", Text),
    Column("message_id", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),  # pending|sent|dead
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("claimed_until", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("cause_event_id", "recipient_id", name="uq_email_outbox_cause_recipient"),
    Index("ix_email_outbox_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
)


# --- contacts replica ---------------------------------------------------------------------


async def save_contact(session: AsyncSession, person: Contact) -> None:
    values = {
        "role": person.role,
        "full_name": person.full_name,
        "email": person.email,
        "timezone": person.timezone,
    }
    await session.execute(
        insert(contact)
        .values(account_id=person.account_id, **values)
        .on_conflict_do_update(
            index_elements=[contact.c.account_id], set_={**values, "updated_at": func.now()}
        )
    )


async def contacts(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Contact]:
    rows = await session.execute(select(contact).where(contact.c.account_id.in_(ids)))
    return {
        r.account_id: Contact(r.account_id, r.role, r.full_name, r.email, r.timezone) for r in rows
    }


async def link_family(session: AsyncSession, parent_id: uuid.UUID, child_id: uuid.UUID) -> None:
    await session.execute(
        insert(family_link).values(parent_id=parent_id, child_id=child_id).on_conflict_do_nothing()
    )


async def unlink_family(session: AsyncSession, parent_id: uuid.UUID, child_id: uuid.UUID) -> None:
    await session.execute(
        family_link.delete().where(
            family_link.c.parent_id == parent_id, family_link.c.child_id == child_id
        )
    )


async def parents_of(session: AsyncSession, child_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(
        select(family_link.c.parent_id)
        .where(family_link.c.child_id == child_id)
        .order_by(family_link.c.parent_id)
    )
    return list(rows.scalars())


# --- booking facts replica ----------------------------------------------------------------


async def save_booking(session: AsyncSession, facts: Booking) -> None:
    values = {k: v for k, v in facts.__dict__.items() if k != "booking_id"}
    await session.execute(
        insert(booking)
        .values(booking_id=facts.booking_id, **values)
        .on_conflict_do_update(index_elements=[booking.c.booking_id], set_=values)
    )


async def find_booking(session: AsyncSession, booking_id: uuid.UUID) -> Booking | None:
    row = (
        await session.execute(
            select(booking).where(booking.c.booking_id == booking_id).with_for_update()
        )
    ).first()
    return Booking(**row._asdict()) if row else None


# --- inbox --------------------------------------------------------------------------------


async def add_inbox_message(
    session: AsyncSession,
    account_id: uuid.UUID,
    cause_event_id: uuid.UUID,
    booking_id: uuid.UUID | None,
    title: str,
    body: str,
) -> dict[str, object] | None:
    """The new row, or None when this (event, recipient) already has its message."""
    row = (
        await session.execute(
            insert(inbox_message)
            .values(
                id=uuid.uuid4(),
                account_id=account_id,
                cause_event_id=cause_event_id,
                booking_id=booking_id,
                title=title,
                body=body,
            )
            .on_conflict_do_nothing(constraint="uq_inbox_message_cause_recipient")
            .returning(*_ITEM_COLUMNS)
        )
    ).first()
    return _item(row) if row else None


_ITEM_COLUMNS = (
    inbox_message.c.id,
    inbox_message.c.title,
    inbox_message.c.body,
    inbox_message.c.created_at,
    inbox_message.c.read_at,
    inbox_message.c.booking_id,
)


def _item(row: object) -> dict[str, object]:
    data = row._asdict()  # type: ignore[attr-defined]
    read_at: datetime | None = data.pop("read_at")
    return {**data, "read": read_at is not None}


async def inbox_page(
    session: AsyncSession, account_id: uuid.UUID, page: int, size: int
) -> tuple[list[dict[str, object]], int]:
    m = inbox_message.c
    rows = await session.execute(
        select(*_ITEM_COLUMNS)
        .where(m.account_id == account_id)
        .order_by(m.created_at.desc(), m.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    )
    unread = await session.scalar(
        select(func.count()).where(m.account_id == account_id, m.read_at.is_(None))
    )
    return [_item(r) for r in rows], int(unread or 0)


async def mark_read(session: AsyncSession, account_id: uuid.UUID, message_id: uuid.UUID) -> bool:
    """False when no such message belongs to this account (others' messages look absent)."""
    m = inbox_message.c
    found = await session.execute(
        update(inbox_message)
        .where(m.id == message_id, m.account_id == account_id)
        .values(read_at=func.coalesce(m.read_at, func.now()))
        .returning(m.id)
    )
    return found.first() is not None


async def mark_all_read(session: AsyncSession, account_id: uuid.UUID) -> int:
    m = inbox_message.c
    done = await session.execute(
        update(inbox_message)
        .where(m.account_id == account_id, m.read_at.is_(None))
        .values(read_at=func.now())
    )
    return int(done.rowcount or 0)  # type: ignore[attr-defined]
