"""Live inbox updates: Redis pub/sub, one channel per account, so the replica that wrote a
message and the replica holding the user's SSE stream need not be the same.

A message is published only after the transaction that wrote it commits: a stream never shows
a message the inbox list does not have. Redis is a hint, not the record: a client that missed an
update (reconnect, Redis away) sees it on its next GET /inbox.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

_background: set[asyncio.Task[None]] = set()


def channel(account_id: uuid.UUID) -> str:
    return f"psy:notify:inbox:{account_id}"


def after_commit(session: AsyncSession, action: Callable[[], Awaitable[None]]) -> None:
    """Run `action` once the session's transaction has committed (never on rollback)."""
    actions: list[Callable[[], Awaitable[None]]] | None = session.info.get("after_commit")
    if actions is None:
        actions = session.info["after_commit"] = []

        def fire(_: object) -> None:
            loop = asyncio.get_running_loop()
            for pending in session.info.pop("after_commit", []):
                task = loop.create_task(pending())
                _background.add(task)
                task.add_done_callback(_background.discard)

        event.listen(session.sync_session, "after_commit", fire, once=True)
    actions.append(action)


async def publish(redis: Redis, account_id: uuid.UUID, item: dict[str, Any]) -> None:
    try:
        await redis.publish(channel(account_id), json.dumps(item, default=str, ensure_ascii=False))
    except Exception as exc:
        log.warning("inbox live update for %s not published: %s", account_id, type(exc).__name__)


async def updates(redis: Redis, account_id: uuid.UUID) -> AsyncIterator[str | None]:
    """None once subscribed (nothing published from then on is missed), then the JSON of each
    new inbox item of this account as it is published."""
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel(account_id))
    try:
        yield None
        while True:
            message = await pubsub.get_message(timeout=15.0)
            if message is not None and message["type"] == "message":
                yield message["data"]
    finally:
        await pubsub.unsubscribe()
        await pubsub.aclose()
