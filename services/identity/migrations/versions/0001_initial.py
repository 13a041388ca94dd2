"""Accounts, ESIA children, family and Сферум links, refresh tokens, signing keys, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from psy_platform.migrations import create_platform_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("esia_oid", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("middle_name", sa.Text(), server_default="", nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("email", sa.Text()),
        sa.Column("region", sa.Text()),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_account"),
        sa.UniqueConstraint("esia_oid", name="uq_account_esia_oid"),
        sa.CheckConstraint(
            "role IN ('parent', 'child', 'psychologist', 'admin')", name="ck_account_role"
        ),
    )
    op.create_table(
        "esia_child",
        sa.Column("parent_id", sa.Uuid(), nullable=False),
        sa.Column("esia_oid", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("middle_name", sa.Text(), server_default="", nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["account.id"],
            name="fk_esia_child_parent_id_account",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("parent_id", "esia_oid", name="pk_esia_child"),
    )
    op.create_table(
        "family_link",
        sa.Column("parent_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["account.id"], name="fk_family_link_parent_id_account"
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["account.id"], name="fk_family_link_child_id_account"
        ),
        sa.PrimaryKeyConstraint("parent_id", "child_id", name="pk_family_link"),
    )
    op.create_index("ix_family_link_child_id", "family_link", ["child_id"])
    op.create_table(
        "sferum_link",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("vk_user_id", sa.Text(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_sferum_link_account_id_account"
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_sferum_link"),
        sa.UniqueConstraint("vk_user_id", name="uq_sferum_link_vk_user_id"),
    )
    op.create_table(
        "refresh_token",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_refresh_token_account_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_token"),
        sa.UniqueConstraint("token_hash", name="uq_refresh_token_token_hash"),
    )
    op.create_index("ix_refresh_token_family_id", "refresh_token", ["family_id"])
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.Text(), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("kid", name="pk_signing_key"),
    )
    create_platform_tables()


def downgrade() -> None:
    for table in (
        "processed_event",
        "outbox",
        "signing_key",
        "refresh_token",
        "sferum_link",
        "family_link",
        "esia_child",
        "account",
    ):
        op.drop_table(table)
