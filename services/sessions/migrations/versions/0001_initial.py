"""The schedule, joins, outbox and processed events.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from psy_platform.migrations import create_platform_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("booking_id", sa.Uuid, primary_key=True),
        sa.Column("psychologist_id", sa.Uuid, nullable=False),
        sa.Column("booked_by", sa.Uuid, nullable=False),
        sa.Column("participant_id", sa.Uuid, nullable=False),
        sa.Column("participant_kind", sa.Text, nullable=False),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("place", sa.Text),
        sa.Column("generation", sa.Integer, nullable=False, server_default="0"),
        sa.Column("dispatch_at", TS, nullable=False),
        sa.Column("dispatched_at", TS),
        sa.Column("room_id", sa.Text),
        sa.Column("room_url", sa.Text),
        sa.Column("cancelled_at", TS),
        sa.Column("outcome", sa.Text),
        sa.Column("decided_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("booking_id", name="pk_sessions"),
    )
    op.create_index(
        "ix_sessions_due",
        "sessions",
        ["dispatch_at"],
        postgresql_where=sa.text("dispatched_at IS NULL AND cancelled_at IS NULL"),
    )
    op.create_index(
        "ix_sessions_roomless",
        "sessions",
        ["starts_at"],
        postgresql_where=sa.text(
            "room_id IS NULL AND dispatched_at IS NULL AND cancelled_at IS NULL"
            " AND format IN ('video', 'chat')"
        ),
    )
    op.create_index(
        "ix_sessions_undecided",
        "sessions",
        ["ends_at"],
        postgresql_where=sa.text(
            "dispatched_at IS NOT NULL AND decided_at IS NULL AND cancelled_at IS NULL"
        ),
    )
    op.create_table(
        "joins",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("booking_id", sa.Uuid, nullable=False),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("via", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_joins"),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["sessions.booking_id"], name="fk_joins_booking_id_sessions"
        ),
    )
    op.create_index("ix_joins_booking_id", "joins", ["booking_id", "generation"])
    create_platform_tables()


def downgrade() -> None:
    op.drop_table("processed_event")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_joins_booking_id", table_name="joins")
    op.drop_table("joins")
    op.drop_index("ix_sessions_undecided", table_name="sessions")
    op.drop_index("ix_sessions_roomless", table_name="sessions")
    op.drop_index("ix_sessions_due", table_name="sessions")
    op.drop_table("sessions")
