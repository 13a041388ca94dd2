"""Redis connection. Redis holds nothing whose loss loses data (holds, limits, fan-out)."""

from redis.asyncio import Redis


def connect_redis(url: str) -> "Redis":
    return Redis.from_url(url, decode_responses=True, health_check_interval=30)
