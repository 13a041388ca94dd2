"""Parent–child links: a parent links a child from their ESIA kids list, or unlinks one."""

import uuid
from datetime import date
from typing import Any

from psy_contracts.events.identity import FamilyLinked, FamilyUnlinked
from psy_platform.errors import ApiError
from psy_platform.outbox import stage
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from psy_identity import accounts, store
from psy_identity.domain import Person, may_link_as_child


async def link_child(
    session: AsyncSession, parent: Row[Any], esia_oid: str, today: date
) -> tuple[Row[Any], bool]:
    """(child account, newly linked). The same request again links nothing new."""
    kid = (
        await session.execute(
            select(store.esia_child).where(
                store.esia_child.c.parent_id == parent.id, store.esia_child.c.esia_oid == esia_oid
            )
        )
    ).first()
    if kid is None:
        raise ApiError(
            404,
            "child_not_in_esia",
            "Этого ребёнка нет в списке детей вашей учётной записи Госуслуг. "
            "Если сведения изменились, войдите снова.",
        )
    if not may_link_as_child(kid.birth_date, today):
        raise ApiError(409, "child_is_adult", "Совершеннолетнего нельзя привязать как ребёнка.")
    child = await store.account_by_oid(session, esia_oid, lock=True)
    if child is None:
        person = Person(esia_oid, kid.last_name, kid.first_name, kid.middle_name, kid.birth_date)
        # Until the child logs in themselves, they live where the parent lives.
        values = {
            **store.person_values(person, parent.timezone),
            "region": parent.region,
            "email": None,
        }
        child = await accounts.create_account(session, esia_oid, "child", values)
        child = child or await store.account_by_oid(session, esia_oid, lock=True)
        assert child is not None
    if child.role != "child":
        raise ApiError(
            409, "not_a_child_account", "Эта учётная запись не может быть привязана как детская."
        )
    linked = await session.execute(
        insert(store.family_link)
        .values(parent_id=parent.id, child_id=child.id)
        .on_conflict_do_nothing()
        .returning(store.family_link.c.child_id)
    )
    newly = linked.first() is not None
    if newly:
        await stage(
            session, store.outbox, FamilyLinked(parent_id=parent.id, child_id=child.id), child.id
        )
    return child, newly


async def unlink_child(session: AsyncSession, parent_id: uuid.UUID, child_id: uuid.UUID) -> None:
    removed = await session.execute(
        delete(store.family_link)
        .where(store.family_link.c.parent_id == parent_id, store.family_link.c.child_id == child_id)
        .returning(store.family_link.c.child_id)
    )
    if removed.first() is None:
        raise ApiError(404, "child_not_linked", "Этот ребёнок не привязан к вашей учётной записи.")
    await stage(
        session, store.outbox, FamilyUnlinked(parent_id=parent_id, child_id=child_id), child_id
    )
