"""Browser tests against the whole local stack, as `python3 deploy/local/stack.py up` starts it.

Nothing here starts or stops anything: when the stack is not up the tests fail and say how to
start it. The browser is Debian's Chromium driven by Playwright (never `playwright install`).
Screenshots of every step land in test-artifacts/e2e/<test>/.
"""

import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.e2e.flows import Shots, Stack

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# One browser test is a minute or so of clicking; past this it is stuck, not slow.
TEST_TIMEOUT_SECONDS = 150
# Closing a page or a profile has no timeout of its own in Playwright.
CLOSE_TIMEOUT_SECONDS = 15


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT_SECONDS))


@pytest.fixture(scope="session")
def stack() -> Stack:
    """Fails (never skips) with what to do when a part of the stack is not answering."""
    found = Stack.from_env()
    down = []
    for name, url in found.health_urls().items():
        try:
            ok = httpx.get(url, timeout=5).status_code == 200
        except httpx.HTTPError:
            ok = False
        if not ok:
            down.append(f"{name} ({url})")
    if down:
        pytest.fail(
            "The e2e tests need the whole local stack, but these do not answer: "
            + ", ".join(down)
            + ". Start it with `python3 deploy/local/stack.py up` (or `make up`).",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.failed_in_call = report.failed  # type: ignore[attr-defined]
    return report


@pytest.fixture
async def new_context(  # type: ignore[type-arg]
    browser: Browser, request: pytest.FixtureRequest
) -> AsyncIterator:
    """A fresh browser profile per person (its own cookies): `await new_context()`.
    When the test fails, every open page is saved as it was, next to the step screenshots."""
    contexts: list[BrowserContext] = []

    async def make(width: int = 1100, height: int = 900) -> BrowserContext:
        context = await browser.new_context(
            viewport={"width": width, "height": height}, locale="ru-RU"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    if getattr(request.node, "failed_in_call", False):
        folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        for i, context in enumerate(contexts):
            for j, open_page in enumerate(context.pages):
                try:
                    await open_page.screenshot(
                        path=str(folder / f"failed-{i}-{j}.png"), full_page=True, timeout=10_000
                    )
                except Exception as exc:  # a missing picture must not hide the failure
                    print(f"no screenshot of page {i}-{j}: {exc}")
    for context in contexts:
        try:
            await asyncio.wait_for(context.close(), CLOSE_TIMEOUT_SECONDS)
        except TimeoutError:
            print("a browser profile did not close in time; the browser is closed at the end")


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    return Shots(ARTIFACTS / name)


@pytest.fixture
async def page(new_context) -> Page:  # type: ignore[no-untyped-def]
    context = await new_context()
    return await context.new_page()
