"""The Redis helper under a burst bigger than its pool, on the real Redis."""

import asyncio
import uuid

from psy_platform.cache import MAX_CONNECTIONS, connect_redis


async def test_a_burst_beyond_the_pool_waits_for_connections_instead_of_failing(infra) -> None:  # type: ignore[no-untyped-def]
    redis = connect_redis(infra.redis_url)
    empty = f"test:{uuid.uuid4().hex}"
    try:
        # Each BLPOP keeps its connection for 0.3 s: 1.5x the pool is in flight at once.
        answers = await asyncio.gather(
            *(redis.blpop([empty], timeout=0.3) for _ in range(MAX_CONNECTIONS * 3 // 2)),
            return_exceptions=True,
        )
    finally:
        await redis.aclose()
    assert [a for a in answers if a is not None] == [], "every command answered, none refused"
