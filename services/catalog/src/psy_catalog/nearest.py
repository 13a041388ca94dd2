"""Each psychologist's nearest free slot (overall and per format), kept on the profile row.

Search orders thousands of psychologists by it; computing it from the slots per query costs a
probe per psychologist. It is refreshed in the transaction of every slot change (lock order:
the psychologist row first, then slots), and a worker refreshes the values time has overtaken.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def _first(fmt: str | None) -> str:
    only = f" AND '{fmt}' = ANY(s.formats)" if fmt else ""
    return (
        "(SELECT s.starts_at FROM slot s WHERE s.psychologist_id = q.id AND s.status = 'free'"
        f" AND s.starts_at > now(){only} ORDER BY s.starts_at LIMIT 1)"
    )


_COLUMNS = "(p.next_free_at, p.next_free_video, p.next_free_chat, p.next_free_in_person)"
_REFRESH = text(
    f"""
    UPDATE psychologist p
       SET next_free_at = n.any_, next_free_video = n.video, next_free_chat = n.chat,
           next_free_in_person = n.in_person
      FROM (SELECT q.id, {_first(None)} AS any_, {_first("video")} AS video,
                   {_first("chat")} AS chat, {_first("in_person")} AS in_person
              FROM psychologist q WHERE q.id = ANY(CAST(:ids AS uuid[]))) AS n
     WHERE p.id = n.id AND {_COLUMNS} IS DISTINCT FROM (n.any_, n.video, n.chat, n.in_person)
    """
)


async def lock(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    """Take the psychologists' rows first (in id order), so slot writers never deadlock."""
    await session.execute(
        text(
            "SELECT id FROM psychologist WHERE id = ANY(CAST(:ids AS uuid[])) "
            "ORDER BY id FOR UPDATE"
        ),
        {"ids": list(ids)},
    )


async def refresh(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        await session.execute(_REFRESH, {"ids": list(set(ids))})


async def refresh_overtaken(session: AsyncSession, limit: int = 2000) -> int:
    """Psychologists whose nearest free slot has begun: recompute (skipping rows in use)."""
    ids = list(
        (
            await session.execute(
                text(
                    "SELECT id FROM psychologist WHERE next_free_at <= now() "
                    "OR next_free_video <= now() OR next_free_chat <= now() "
                    "OR next_free_in_person <= now() ORDER BY id LIMIT :limit "
                    "FOR UPDATE SKIP LOCKED"
                ),
                {"limit": limit},
            )
        ).scalars()
    )
    await refresh(session, ids)
    return len(ids)
