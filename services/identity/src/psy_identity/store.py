"""Identity's tables and the queries over them (SQLAlchemy Core)."""

import uuid
from typing import Any

from psy_platform.db import new_metadata
from psy_platform.outbox import outbox_table
from psy_platform.processed import processed_table
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from psy_identity.domain import Person

metadata = new_metadata()
outbox = outbox_table(metadata)
processed = processed_table(metadata)

account = Table(
    "account",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("esia_oid", Text, nullable=False, unique=True),
    Column("role", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("first_name", Text, nullable=False),
    Column("middle_name", Text, nullable=False, server_default=""),
    Column("birth_date", Date, nullable=False),
    Column("email", Text),
    Column("region", Text),
    Column("timezone", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A parent's children as ESIA listed them at the parent's last login: what they may link.
esia_child = Table(
    "esia_child",
    metadata,
    Column("parent_id", Uuid, ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
    Column("esia_oid", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("first_name", Text, nullable=False),
    Column("middle_name", Text, nullable=False, server_default=""),
    Column("birth_date", Date, nullable=False),
    PrimaryKeyConstraint("parent_id", "esia_oid"),
)

family_link = Table(
    "family_link",
    metadata,
    Column("parent_id", Uuid, ForeignKey("account.id"), nullable=False),
    Column("child_id", Uuid, ForeignKey("account.id"), nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("parent_id", "child_id"),
    Index("ix_family_link_child_id", "child_id"),
)

sferum_link = Table(
    "sferum_link",
    metadata,
    Column("account_id", Uuid, ForeignKey("account.id"), primary_key=True),
    Column("vk_user_id", Text, nullable=False, unique=True),
    Column("linked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Only the SHA-256 of a refresh token is kept. A family is one login's chain of rotations.
refresh_token = Table(
    "refresh_token",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("family_id", Uuid, nullable=False),
    Column("account_id", Uuid, ForeignKey("account.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_refresh_token_family_id", "family_id"),
)

# Access-token signing keys, shared by every replica. Private keys at rest in the database are a
# stop-gap; production keeps them in a KMS or a mounted secret.
signing_key = Table(
    "signing_key",
    metadata,
    Column("kid", Text, primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True)),
)


def person_values(person: Person, timezone: str) -> dict[str, Any]:
    return {
        "last_name": person.last_name,
        "first_name": person.first_name,
        "middle_name": person.middle_name,
        "birth_date": person.birth_date,
        "email": person.email,
        "region": person.region,
        "timezone": timezone,
    }


async def account_by_oid(session: AsyncSession, oid: str, lock: bool = False) -> Row[Any] | None:
    query = select(account).where(account.c.esia_oid == oid)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def account_by_id(session: AsyncSession, account_id: uuid.UUID) -> Row[Any] | None:
    return (await session.execute(select(account).where(account.c.id == account_id))).first()


async def insert_account(
    session: AsyncSession, account_id: uuid.UUID, oid: str, role: str, values: dict[str, Any]
) -> bool:
    """False when another request created the same account first."""
    inserted = await session.execute(
        insert(account)
        .values(id=account_id, esia_oid=oid, role=role, **values)
        .on_conflict_do_nothing()
        .returning(account.c.id)
    )
    return inserted.first() is not None


async def update_account(
    session: AsyncSession, account_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(
        account.update().where(account.c.id == account_id).values(**values, updated_at=func.now())
    )


async def replace_esia_children(
    session: AsyncSession, parent_id: uuid.UUID, kids: list[Person]
) -> None:
    await session.execute(delete(esia_child).where(esia_child.c.parent_id == parent_id))
    if kids:
        await session.execute(
            insert(esia_child),
            [
                {
                    "parent_id": parent_id,
                    "esia_oid": k.oid,
                    "last_name": k.last_name,
                    "first_name": k.first_name,
                    "middle_name": k.middle_name,
                    "birth_date": k.birth_date,
                }
                for k in kids
            ],
        )


async def esia_children_of(session: AsyncSession, parent_id: uuid.UUID) -> list[Row[Any]]:
    query = (
        select(esia_child)
        .where(esia_child.c.parent_id == parent_id)
        .order_by(esia_child.c.birth_date)
    )
    return list((await session.execute(query)).all())


async def linked_children(session: AsyncSession, parent_id: uuid.UUID) -> list[Row[Any]]:
    query = (
        select(account)
        .join(family_link, family_link.c.child_id == account.c.id)
        .where(family_link.c.parent_id == parent_id)
        .order_by(account.c.birth_date)
    )
    return list((await session.execute(query)).all())


async def linked_parents(session: AsyncSession, child_id: uuid.UUID) -> list[Row[Any]]:
    query = (
        select(account)
        .join(family_link, family_link.c.parent_id == account.c.id)
        .where(family_link.c.child_id == child_id)
    )
    return list((await session.execute(query)).all())


async def sferum_of(session: AsyncSession, account_id: uuid.UUID) -> str | None:
    query = select(sferum_link.c.vk_user_id).where(sferum_link.c.account_id == account_id)
    return await session.scalar(query)
