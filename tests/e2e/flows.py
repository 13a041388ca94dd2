"""What a person does in the portal, step by step, as reusable browser actions."""

import asyncio
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import Page, expect
from psy_localstack import demo

T = TypeVar("T")

# Refusals that mean "another service has not caught up yet" (events still on their way):
# a person would press «Записаться» again a moment later, and so does the test.
NOT_YET = ("ещё не готова", "не можете записать этого участника", "Такого времени консультации нет")


@dataclass(frozen=True)
class Stack:
    portal: str
    smtp_sink: str
    simulators: str
    services: dict[str, str]

    @classmethod
    def from_env(cls) -> "Stack":
        return cls(
            portal=os.environ.get("E2E_PORTAL_URL", "http://127.0.0.1:8000").rstrip("/"),
            smtp_sink=os.environ.get("SMTP_SINK_URL", "http://127.0.0.1:8025").rstrip("/"),
            simulators=os.environ.get("E2E_SIMULATORS_URL", "http://127.0.0.1:8009"),
            services={
                name: f"http://127.0.0.1:{port}"
                for name, port in (
                    ("identity", 8001),
                    ("catalog", 8002),
                    ("booking", 8003),
                    ("notify", 8004),
                    ("sessions", 8005),
                )
            },
        )

    def health_urls(self) -> dict[str, str]:
        urls = {"portal": f"{self.portal}/healthz", "simulators": f"{self.simulators}/demo/people"}
        urls |= {name: f"{base}/healthz" for name, base in self.services.items()}
        urls["smtp-sink"] = f"{self.smtp_sink}/messages"
        return urls


class Shots:
    """Numbered screenshots of one test's steps."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    async def take(self, page: Page, step: str) -> None:
        self.count += 1
        await page.screenshot(
            path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True
        )


def person(oid: str) -> demo.Person:
    found = demo.by_oid(oid)
    assert found is not None, f"demo person {oid} is not in the demo data set"
    return found


async def eventually(check: Callable[[], Awaitable[T | None]], what: str, seconds: float = 45) -> T:
    """Polls a user-visible condition (events travel through Kafka between services)."""
    deadline = time.monotonic() + seconds
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f}s: {what}")
        await asyncio.sleep(1)


async def log_in(page: Page, stack: Stack, oid: str) -> None:
    """«Войти через Госуслуги»; the ESIA simulator approves the demo person named by login_hint."""
    await page.goto(f"{stack.portal}/login?login_hint={oid}")
    await page.get_by_role("link", name="Войти через Госуслуги").click()
    await page.wait_for_url(re.compile(r".*/(profile|cabinet)$"))
    await expect(page.get_by_role("button", name="Выйти")).to_be_visible()


async def alert_text(page: Page) -> str:
    alerts = page.locator("[role=alert]:visible")
    return " ".join(await alerts.all_inner_texts()) if await alerts.count() else ""


async def free_slot_ids(
    page: Page, stack: Stack, psychologist_id: str, after: datetime
) -> list[str]:
    """Free slots on the psychologist's card starting after `after`, soonest first."""
    await page.goto(f"{stack.portal}/psychologists/{psychologist_id}")
    found = []
    for form in await page.locator("form[action='/holds']").all():
        starts = await form.locator("input[name=starts_at]").get_attribute("value")
        slot = await form.locator("input[name=slot_id]").get_attribute("value")
        if starts and slot and datetime.fromisoformat(starts) > after:
            found.append(slot)
    return found


async def hold_slot(page: Page, stack: Stack, psychologist_id: str, slot_id: str) -> None:
    """Шаг 4: press the time on the card; retried while booking has not seen the slot yet."""

    async def attempt() -> bool:
        await page.goto(f"{stack.portal}/psychologists/{psychologist_id}")
        await page.locator(f"button[data-slot='{slot_id}']").click()
        await page.wait_for_load_state()
        if "/book/" in page.url:
            return True
        message = await alert_text(page)
        assert any(s in message for s in NOT_YET), f"hold refused: {message}"
        return False

    await eventually(attempt, f"a hold on slot {slot_id}")


async def submit_booking(page: Page) -> str:
    """Шаг 6 «Записаться» → шаг 7 the dialog; returns the booking id from the address."""

    async def attempt() -> bool:
        await page.get_by_role("button", name="Записаться").click()
        await page.wait_for_load_state()
        if "/book/done/" in page.url:
            return True
        message = await alert_text(page)
        assert any(s in message for s in NOT_YET), f"booking refused: {message}"
        return False

    await eventually(attempt, "the booking to be accepted")
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("Вы успешно записались на консультацию")
    return page.url.rsplit("/", 1)[1]


async def cancel_booking(page: Page, stack: Stack, booking_id: str, reason: str) -> None:
    await page.goto(f"{stack.portal}/bookings")
    row = page.locator(f"#booking-{booking_id}")
    await row.locator("summary", has_text="Отменить").click()
    await row.get_by_label("Причина отмены").fill(reason)
    await row.get_by_role("button", name="Отменить запись").click()
    await expect(page.locator(f"#booking-{booking_id} .status")).to_have_text("Отменена")


async def cancel_everything(page: Page, stack: Stack) -> None:
    """Leftovers of an earlier run would hit the 2-active-bookings rule: cancel them."""
    await page.goto(f"{stack.portal}/bookings")
    for article in await page.locator("article.booking[data-status=confirmed]").all():
        if await article.locator("summary", has_text="Отменить").count():
            booking_id = (await article.get_attribute("id") or "").removeprefix("booking-")
            await cancel_booking(page, stack, booking_id, "Очистка перед автотестом")


def local_slot_start(tz: str, minutes_ahead: int) -> datetime:
    """A start `minutes_ahead` from now, on a whole minute, in the psychologist's zone."""
    start = datetime.now(UTC) + timedelta(minutes=minutes_ahead)
    start = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return start.astimezone(ZoneInfo(tz))


async def emails_to(stack: Stack, address: str, since: datetime) -> list[dict[str, object]]:
    async with httpx.AsyncClient(timeout=10) as client:
        messages = (await client.get(f"{stack.smtp_sink}/messages")).json()
    return [
        m
        for m in messages
        if address in str(m.get("to"))
        and datetime.fromisoformat(str(m["received_at"]).replace("Z", "+00:00")) >= since
    ]
