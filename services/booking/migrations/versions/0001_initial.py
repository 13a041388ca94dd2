"""Booking: replicas, bookings (one active per slot), idempotency keys, outbox, processed events.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from psy_platform.migrations import create_platform_tables
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_ARRAY = postgresql.ARRAY(sa.Text())


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_account"),
    )
    op.create_table(
        "family_link",
        sa.Column("parent_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("parent_id", "child_id", name="pk_family_link"),
    )
    op.create_index("ix_family_link_child_id", "family_link", ["child_id"])
    op.create_table(
        "psychologist",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("topics", TEXT_ARRAY, nullable=False),
        sa.Column("formats", TEXT_ARRAY, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_psychologist"),
    )
    op.create_table(
        "slot",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("psychologist_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("formats", TEXT_ARRAY, nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("withdrawn", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slot"),
    )
    op.create_table(
        "booking",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slot_id", sa.Uuid(), nullable=False),
        sa.Column("psychologist_id", sa.Uuid(), nullable=False),
        sa.Column("booked_by", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("participant_kind", sa.Text(), nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("topics", TEXT_ARRAY, nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_booking"),
    )
    # No double booking, ever: at most one confirmed booking per slot.
    op.create_index(
        "uq_booking_active_slot",
        "booking",
        ["slot_id"],
        unique=True,
        postgresql_where=sa.text("status = 'confirmed'"),
    )
    op.create_index("ix_booking_participant_id", "booking", ["participant_id", "starts_at"])
    op.create_index("ix_booking_booked_by", "booking", ["booked_by"])
    op.create_index("ix_booking_psychologist_id", "booking", ["psychologist_id", "starts_at"])
    op.create_table(
        "idempotency_key",
        sa.Column("caller_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("caller_id", "key", name="pk_idempotency_key"),
    )
    create_platform_tables()


def downgrade() -> None:
    for table in ("processed_event", "outbox", "idempotency_key", "booking"):
        op.drop_table(table)
    for table in ("slot", "psychologist", "family_link", "account"):
        op.drop_table(table)
