"""Short-lived, single-use state of browser flows in Redis: login state, tickets, VK link state.

Losing Redis loses nothing durable: a user whose login was in flight simply logs in again.
"""

import json
from typing import Any

from redis.asyncio import Redis


class Flows:
    def __init__(self, redis: "Redis", prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def put(self, kind: str, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        await self._redis.set(f"{self._prefix}{kind}:{key}", json.dumps(value), ex=ttl_seconds)

    async def take(self, kind: str, key: str) -> dict[str, Any] | None:
        """The value, at most once: GETDEL makes a replay find nothing."""
        raw = await self._redis.getdel(f"{self._prefix}{kind}:{key}")
        return json.loads(raw) if raw else None

    async def within_limit(self, bucket: str, limit: int, window_seconds: int) -> bool:
        """Fixed-window counter; True while `bucket` has been hit at most `limit` times."""
        key = f"{self._prefix}limit:{bucket}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_seconds, nx=True)
            count, _ = await pipe.execute()
        return int(count) <= limit
