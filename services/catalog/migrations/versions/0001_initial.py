"""Catalog: psychologists, weekly rules, exceptions, slots; outbox and processed events.

Revision ID: 0001
Revises:
Create Date: 2026-03-01
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

TZ = sa.DateTime(timezone=True)
TEXTS = postgresql.ARRAY(sa.Text())


def upgrade() -> None:
    # Typo-tolerant name search (word similarity) and fast substring match on ФИО.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # Search statements are prepared (asyncpg caches them), and after five runs PostgreSQL may
    # switch to a generic plan that ignores how selective the given topics and days are:
    # measured 15 ms → 300 ms on the 10,000-psychologist set. Plan each run for its values.
    op.execute(
        "DO $$ BEGIN EXECUTE format("
        "'ALTER DATABASE %I SET plan_cache_mode = force_custom_plan', current_database()); END $$"
    )
    create_platform_tables()
    op.create_table(
        "psychologist",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("search_name", sa.Text(), nullable=False),
        sa.Column("school", sa.Text(), nullable=False),
        sa.Column("region", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("topics", TEXTS, nullable=False),
        sa.Column("formats", TEXTS, nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("about", sa.Text(), server_default="", nullable=False),
        sa.Column("updated_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("next_free_at", TZ, nullable=True),
        sa.Column("next_free_video", TZ, nullable=True),
        sa.Column("next_free_chat", TZ, nullable=True),
        sa.Column("next_free_in_person", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_psychologist"),
    )
    op.create_index(
        "ix_psychologist_search_name_trgm",
        "psychologist",
        ["search_name"],
        postgresql_using="gin",
        postgresql_ops={"search_name": "gin_trgm_ops"},
    )
    op.create_index("ix_psychologist_topics", "psychologist", ["topics"], postgresql_using="gin")
    op.create_index("ix_psychologist_region", "psychologist", ["region"])
    op.create_table(
        "schedule_rule",
        sa.Column("psychologist_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("duration_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("formats", TEXTS, nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["psychologist_id"],
            ["psychologist.id"],
            name="fk_schedule_rule_psychologist_id_psychologist",
        ),
        sa.PrimaryKeyConstraint("psychologist_id", "weekday", "start", name="pk_schedule_rule"),
    )
    op.create_table(
        "schedule_exception",
        sa.Column("psychologist_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["psychologist_id"],
            ["psychologist.id"],
            name="fk_schedule_exception_psychologist_id_psychologist",
        ),
        sa.PrimaryKeyConstraint("psychologist_id", "day", name="pk_schedule_exception"),
    )
    op.create_table(
        "slot",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("psychologist_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("formats", TEXTS, nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="free", nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("status IN ('free', 'taken', 'withdrawn')", name="ck_slot_status"),
        sa.CheckConstraint("origin IN ('rule', 'single')", name="ck_slot_origin"),
        sa.ForeignKeyConstraint(
            ["psychologist_id"], ["psychologist.id"], name="fk_slot_psychologist_id_psychologist"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_slot"),
        sa.UniqueConstraint("psychologist_id", "starts_at", name="uq_slot_psychologist_starts_at"),
    )
    op.create_index(
        "ix_slot_free_by_psychologist",
        "slot",
        ["psychologist_id", "starts_at"],
        postgresql_where=sa.text("status = 'free'"),
        postgresql_include=["formats"],
    )
    op.create_index(
        "ix_slot_free_by_day",
        "slot",
        ["local_day", "psychologist_id", "starts_at"],
        postgresql_where=sa.text("status = 'free'"),
        postgresql_include=["formats"],
    )


def downgrade() -> None:
    op.execute(
        "DO $$ BEGIN EXECUTE format("
        "'ALTER DATABASE %I RESET plan_cache_mode', current_database()); END $$"
    )
    for table in ("slot", "schedule_exception", "schedule_rule", "psychologist"):
        op.drop_table(table)
    op.drop_table("processed_event")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
