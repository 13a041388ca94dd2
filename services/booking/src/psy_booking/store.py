"""Tables of the booking service: replicas (from events), bookings, idempotency keys, outbox.

One active booking per slot is the database's job: a partial unique index on booking(slot_id)
WHERE status = 'confirmed'. A cancelled booking leaves the index, so the slot is free again.
"""

from psy_platform.db import new_metadata
from psy_platform.outbox import outbox_table
from psy_platform.processed import processed_table
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

metadata = new_metadata()
OUTBOX = outbox_table(metadata)
PROCESSED = processed_table(metadata)

# Replicas: only what booking decisions need.
account = Table(
    "account",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("role", Text, nullable=False),
    Column("birth_date", Date),
)

family_link = Table(
    "family_link",
    metadata,
    Column("parent_id", Uuid, primary_key=True),
    Column("child_id", Uuid, primary_key=True),
    Index("ix_family_link_child_id", "child_id"),
)

psychologist = Table(
    "psychologist",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("timezone", Text, nullable=False),
    Column("topics", ARRAY(Text), nullable=False),
    Column("formats", ARRAY(Text), nullable=False),
)

slot = Table(
    "slot",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("psychologist_id", Uuid, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("timezone", Text, nullable=False),
    Column("formats", ARRAY(Text), nullable=False),
    Column("place", Text),
    Column("withdrawn", Boolean, nullable=False, server_default=text("false")),
)

booking = Table(
    "booking",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("slot_id", Uuid, nullable=False),
    Column("psychologist_id", Uuid, nullable=False),
    Column("booked_by", Uuid, nullable=False),
    Column("participant_id", Uuid, nullable=False),
    Column("participant_kind", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("topics", ARRAY(Text), nullable=False),
    Column("comment", Text),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("timezone", Text, nullable=False),
    Column("place", Text),
    Column("status", Text, nullable=False),
    Column("cancel_reason", Text),
    Column("cancelled_by", Uuid),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index(
        "uq_booking_active_slot",
        "slot_id",
        unique=True,
        postgresql_where=text("status = 'confirmed'"),
    ),
    Index("ix_booking_participant_id", "participant_id", "starts_at"),
    Index("ix_booking_booked_by", "booked_by"),
    Index("ix_booking_psychologist_id", "psychologist_id", "starts_at"),
)

# (caller, key) → the request it first carried and the booking it made; written in the
# booking's own transaction, so a key exists exactly when its booking does.
idempotency_key = Table(
    "idempotency_key",
    metadata,
    Column("caller_id", Uuid, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("request_hash", Text, nullable=False),
    Column("booking_id", Uuid, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

ACTIVE_SLOT_INDEX = "uq_booking_active_slot"
