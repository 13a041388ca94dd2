"""Small queries shared by several use cases."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from psy_catalog.store import schedule_rule


async def psychologists_with_rules(
    session: AsyncSession, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """A page of psychologist ids that have weekly rules, in id order (keyset paging)."""
    query = (
        select(schedule_rule.c.psychologist_id).distinct().order_by(schedule_rule.c.psychologist_id)
    )
    if after is not None:
        query = query.where(schedule_rule.c.psychologist_id > after)
    return list((await session.execute(query.limit(limit))).scalars())
