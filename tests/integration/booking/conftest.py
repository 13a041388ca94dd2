"""One served booking service per test module (startup and consumer-group joins cost seconds);
each test makes its own people and slots, so tests in a module do not see each other's data.
A module may set BOOKING_SETTINGS = {...} to override settings."""

from collections.abc import AsyncIterator

import pytest

from tests.integration.booking.world import World, running_world


@pytest.fixture(scope="module")
async def world(infra, issuer, request) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    overrides = getattr(request.module, "BOOKING_SETTINGS", {})
    label = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")[:12]
    async with running_world(infra, issuer, label, **overrides) as w:
        yield w
