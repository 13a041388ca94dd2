"""Redis connection. Redis holds nothing whose loss loses data (holds, limits, fan-out)."""

from redis.asyncio import BlockingConnectionPool, Redis

MAX_CONNECTIONS = 100
WAIT_FOR_CONNECTION_SECONDS = 5


def connect_redis(url: str) -> "Redis":
    # Blocking: a burst of requests beyond the pool waits for a free connection; the default
    # pool fails at once ("Too many connections"), which a user would see as a 500.
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=WAIT_FOR_CONNECTION_SECONDS,
        decode_responses=True,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)
