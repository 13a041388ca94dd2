"""Finding a booking as a particular caller: what they may not see does not exist (404)."""

import uuid
from typing import Any

from psy_platform.auth import Principal
from sqlalchemy.ext.asyncio import AsyncSession

from psy_booking import domain
from psy_booking.domain import Refusal, Visibility
from psy_booking.repository import children_of, facts, load_booking

READER_ROLES = ("parent", "child", "psychologist")


def readers_only(user: Principal) -> None:
    """Admins see regional figures elsewhere, never bookings themselves."""
    if user.role not in READER_ROLES:
        raise Refusal("forbidden")


async def linked_children(session: AsyncSession, user: Principal) -> set[uuid.UUID]:
    return await children_of(session, user.id) if user.role == "parent" else set()


async def visible_booking(
    session: AsyncSession, user: Principal, booking_id: uuid.UUID, for_update: bool = False
) -> tuple[Any, Visibility]:
    readers_only(user)
    row = await load_booking(session, booking_id, for_update=for_update)
    if row is None:
        raise Refusal("booking_not_found")
    children = await linked_children(session, user)
    seen = domain.visibility(facts(row), user.id, user.role, children)
    if seen is None:
        raise Refusal("booking_not_found")
    return row, seen
