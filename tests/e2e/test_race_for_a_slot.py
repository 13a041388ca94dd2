"""Two people press the same time at once: one holds it, the other reads a clear message."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from tests.e2e.flows import (
    Shots,
    Stack,
    alert_text,
    free_slot_ids,
    hold_slot,
    log_in,
    person,
    submit,
)

FIRST, SECOND, PSYCHOLOGIST = person("1000002"), person("1000003"), person("2000001")


async def press(page: Page, stack: Stack, slot_id: str) -> str:
    await page.goto(f"{stack.portal}/psychologists/{PSYCHOLOGIST.id}")
    await submit(page, page.locator(f"button[data-slot='{slot_id}']"))
    return page.url


async def test_the_second_of_two_racing_users_is_told_the_time_is_taken(
    new_context,
    stack: Stack,
    shots: Shots,  # type: ignore[no-untyped-def]
) -> None:
    first = await (await new_context()).new_page()
    second = await (await new_context()).new_page()
    await asyncio.gather(log_in(first, stack, FIRST.oid), log_in(second, stack, SECOND.oid))
    slots = await free_slot_ids(
        first, stack, str(PSYCHOLOGIST.id), datetime.now(UTC) + timedelta(hours=3)
    )
    assert slots, "the demo psychologist has no free slot"
    # A time of its own each run: a hold left by a failed run lasts its 10 minutes.
    slot = random.choice(slots)
    # Each takes the time and lets it go first: booking surely knows the slot then, and a hold
    # either of them kept from an earlier run is gone (a new hold replaces a person's old one).
    for person_page in (second, first):
        await hold_slot(person_page, stack, str(PSYCHOLOGIST.id), slot)
        await person_page.get_by_role("button", name="Выбрать другое время").click()
        await expect(person_page.locator(f"button[data-slot='{slot}']")).to_be_visible()

    urls = await asyncio.gather(press(first, stack, slot), press(second, stack, slot))
    winners = [p for p, url in zip((first, second), urls, strict=True) if "/book/" in url]
    losers = [p for p in (first, second) if p not in winners]
    assert len(winners) == 1, urls
    await expect(winners[0].locator("#countdown-value")).to_be_visible()
    message = await alert_text(losers[0])
    assert "другой пользователь" in message or "уже занято" in message, message
    await shots.take(winners[0], "winner-holds")
    await shots.take(losers[0], "loser-message")
    # The winner lets it go: the time is on the card again.
    await winners[0].get_by_role("button", name="Выбрать другое время").click()
    await expect(winners[0].locator(f"button[data-slot='{slot}']")).to_be_visible()
