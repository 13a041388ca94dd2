"""Accounts from ESIA: registration or update at login, admin provisioning of psychologists."""

import uuid
from datetime import date
from typing import Any

from psy_contracts.events.identity import AccountRegistered, AccountUpdated
from psy_platform.errors import ApiError
from psy_platform.outbox import stage
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from psy_identity import store
from psy_identity.domain import Person, account_id, full_name, role_at_login, timezone_of


def account_event(row: Row[Any], cls: type[AccountRegistered]) -> AccountRegistered:
    return cls(
        account_id=row.id,
        role=row.role,
        full_name=full_name(row.last_name, row.first_name, row.middle_name),
        email=row.email,
        region=row.region,
        timezone=row.timezone,
        birth_date=row.birth_date if row.role == "child" else None,
    )


async def create_account(
    session: AsyncSession, oid: str, role: str, values: dict[str, Any]
) -> Row[Any] | None:
    """The new account with its account.registered event; None when a parallel request won."""
    new_id = account_id(oid)
    if not await store.insert_account(session, new_id, oid, role, values):
        return None
    row = await store.account_by_id(session, new_id)
    assert row is not None
    await stage(session, store.outbox, account_event(row, AccountRegistered), row.id)
    return row


async def _refresh(session: AsyncSession, row: Row[Any], values: dict[str, Any]) -> Row[Any]:
    """Apply what ESIA says now; account.updated only when something changed."""
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if not changed:
        return row
    await store.update_account(session, row.id, changed)
    updated = await store.account_by_id(session, row.id)
    assert updated is not None
    await stage(session, store.outbox, account_event(updated, AccountUpdated), row.id)
    return updated


async def register_login(
    session: AsyncSession,
    person: Person,
    kids: list[Person],
    today: date,
    admin_oids: frozenset[str],
) -> Row[Any]:
    """The account this ESIA person logs in to. Raises LoginRefused (child under 14)."""
    values = store.person_values(person, timezone_of(person.region))
    existing = await store.account_by_oid(session, person.oid, lock=True)
    role = role_at_login(
        existing.role if existing else None, person.oid, person.birth_date, today, admin_oids
    )
    row = None if existing else await create_account(session, person.oid, role, values)
    if row is None:
        existing = existing or await store.account_by_oid(session, person.oid, lock=True)
        assert existing is not None
        row = await _refresh(session, existing, values)
    if row.role == "parent":
        await store.replace_esia_children(session, row.id, kids)
    return row


async def provision_psychologist(session: AsyncSession, person: Person) -> tuple[Row[Any], bool]:
    """A psychologist account for this ESIA person; (row, created). Idempotent."""
    values = store.person_values(person, timezone_of(person.region))
    existing = await store.account_by_oid(session, person.oid, lock=True)
    if existing is None:
        created = await create_account(session, person.oid, "psychologist", values)
        if created is not None:
            return created, True
        existing = await store.account_by_oid(session, person.oid, lock=True)
        assert existing is not None
    if existing.role != "psychologist":
        raise ApiError(
            409,
            "account_has_other_role",
            "У этого человека уже есть учётная запись с другой ролью.",
        )
    return existing, False


async def get_account(session: AsyncSession, user_id: uuid.UUID) -> Row[Any]:
    row = await store.account_by_id(session, user_id)
    if row is None:
        raise ApiError(401, "account_not_found", "Учётная запись не найдена. Войдите снова.")
    return row
