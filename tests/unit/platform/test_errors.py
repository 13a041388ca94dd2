"""A request that finds the database or Redis pool exhausted (or Redis away) gets a 503 with a
stable code and a Russian message the portal can show, never a bare 500."""

import httpx
import pytest
from fastapi import FastAPI
from psy_platform.errors import install_error_handlers
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout


@pytest.mark.parametrize(
    "fault", [PoolTimeout("pool"), RedisConnectionError("No connection available.")]
)
async def test_an_exhausted_pool_is_a_503_service_busy(fault: Exception) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/bookings")
    async def book() -> None:
        raise fault

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.post("/bookings")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["error"]["code"] == "service_busy"
    assert "Повторите" in answer.json()["error"]["message"]
