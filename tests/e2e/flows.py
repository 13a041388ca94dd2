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
from playwright.async_api import Locator, Page, expect
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
        self.started = time.monotonic()
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    async def take(self, page: Page, step: str) -> None:
        self.count += 1
        # Shown with a failure's captured output: which step was reached, and when.
        print(f"[e2e] {self.count:02d}-{step} at +{time.monotonic() - self.started:.1f}s")
        await page.screenshot(
            path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True
        )


def person(oid: str) -> demo.Person:
    found = demo.by_oid(oid)
    assert found is not None, f"demo person {oid} is not in the demo data set"
    return found


async def eventually(check: Callable[[], Awaitable[T | None]], what: str, seconds: float = 45) -> T:
    """Polls a user-visible condition (events travel through Kafka between services)."""
    assert seconds <= 60, "a browser test waits a minute at most for anything"
    began = time.monotonic()
    deadline = began + seconds
    while True:
        result = await check()
        if result:
            if time.monotonic() - began > 2:
                print(f"[e2e] waited {time.monotonic() - began:.1f}s for {what}")
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f}s: {what}")
        await asyncio.sleep(1)


async def submit(page: Page, control: Locator) -> None:
    """Presses a form's button and waits for the page the form leads to: whatever is read next
    (an alert, a notice, the address) is read from that page, never from the one before."""
    async with page.expect_navigation():
        await control.click()


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


class SlotTaken(AssertionError):
    """Someone else holds or has booked the time."""


TAKEN = ("другой пользователь", "уже занято")


async def hold_slot(page: Page, stack: Stack, psychologist_id: str, slot_id: str) -> None:
    """Шаг 4: press the time on the card; retried while booking has not seen the slot yet."""

    async def attempt() -> bool:
        await page.goto(f"{stack.portal}/psychologists/{psychologist_id}")
        await submit(page, page.locator(f"button[data-slot='{slot_id}']"))
        if "/book/" in page.url:
            return True
        message = await alert_text(page)
        if any(s in message for s in TAKEN):
            raise SlotTaken(f"hold refused: {message}")
        assert any(s in message for s in NOT_YET), f"hold refused: {message}"
        return False

    await eventually(attempt, f"a hold on slot {slot_id}")


async def hold_one_of(
    page: Page, stack: Stack, psychologist_id: str, slot_ids: list[str], tries: int = 3
) -> str:
    """A hold on the first of these times nobody else holds (a failed run of another test may
    have left its hold for 10 minutes); returns the slot held."""
    refusals = []
    for slot_id in slot_ids[:tries]:
        try:
            await hold_slot(page, stack, psychologist_id, slot_id)
        except SlotTaken as exc:
            refusals.append(str(exc))
            continue
        return slot_id
    raise AssertionError("; ".join(refusals) or "no free time to hold")


async def submit_booking(page: Page) -> str:
    """Шаг 6 «Записаться» → шаг 7 the dialog; returns the booking id from the address."""

    async def attempt() -> bool:
        await submit(page, page.get_by_role("button", name="Записаться"))
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
    """Leftovers of an earlier run would hit the 2-active-bookings rule: cancel them.
    The ids are read first: each cancellation reloads the page (and shifts the rows)."""
    await page.goto(f"{stack.portal}/bookings")
    cancellable = page.locator("article.booking[data-status=confirmed]").filter(
        has=page.locator("summary", has_text="Отменить")
    )
    ids = [
        (await article.get_attribute("id") or "").removeprefix("booking-")
        for article in await cancellable.all()
    ]
    for booking_id in ids:
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
