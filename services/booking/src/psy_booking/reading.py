"""«Мои записи»: the bookings a caller may see."""

import uuid
from typing import Any

from psy_platform.auth import Principal

from psy_booking import domain
from psy_booking.access import linked_children, readers_only, visible_booking
from psy_booking.context import UseCases
from psy_booking.repository import bookings_seen_by, facts
from psy_booking.views import booking_json


async def my_bookings(uc: UseCases, user: Principal) -> list[dict[str, Any]]:
    """A parent: their own and their linked children's; a child: their own; a psychologist: the
    bookings with them. Sorted by start."""
    readers_only(user)
    async with uc.db.transaction() as session:
        children = await linked_children(session, user)
        rows = await bookings_seen_by(session, user.id, user.role, children)
    shown = []
    for row in rows:
        seen = domain.visibility(facts(row), user.id, user.role, children)
        if seen is not None:
            shown.append(booking_json(row, seen))
    return shown


async def one_booking(uc: UseCases, user: Principal, booking_id: uuid.UUID) -> dict[str, Any]:
    async with uc.db.transaction() as session:
        row, seen = await visible_booking(session, user, booking_id)
    return booking_json(row, seen)
