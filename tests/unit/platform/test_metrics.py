"""/metrics counts every request under its route template and status, so an operator's
dashboard groups «GET /bookings/{booking_id}» rather than one line per booking."""

import httpx
from fastapi import FastAPI
from psy_platform.ops import add_ops_routes


async def test_requests_are_counted_per_route_template_and_status() -> None:
    app = FastAPI()

    @app.get("/things/{thing_id}")
    async def thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    add_ops_routes(app, "unit", {})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for path in ("/things/1", "/things/2", "/things/abc", "/nowhere"):
            await client.get(path)
        lines = (await client.get("/metrics")).text.splitlines()

    def count(route: str, status: int) -> float:
        label = f'method="GET",route="{route}",service="unit",status="{status}"'
        return next(
            float(x.split()[-1]) for x in lines if x.startswith(f"http_requests_total{{{label}}}")
        )

    assert count("/things/{thing_id}", 200) == 2
    assert count("/things/{thing_id}", 422) == 1
    assert count("unmatched", 404) == 1
