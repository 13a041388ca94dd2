"""The guide, screen by screen: a parent logs in, links a child and Сферум, finds the school
psychologist by ФИО, by topic and by date, books for the child, and finds the booking, the inbox
message and the e-mail; then moves it («Перенести») and cancels it («Отменить»)."""

import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import Locator, Page, expect

from tests.e2e.flows import (
    Shots,
    Stack,
    cancel_booking,
    cancel_everything,
    emails_to,
    eventually,
    free_slot_ids,
    hold_one_of,
    log_in,
    person,
    submit,
    submit_booking,
)

PARENT, YOUNG_CHILD, PSYCHOLOGIST = person("1000001"), person("1000011"), person("2000001")


async def results(page: Page) -> list[str]:
    return [await li.get_attribute("data-id") or "" for li in await page.locator("li.result").all()]


async def link_child_and_sferum(page: Page, shots: Shots) -> None:
    """Шаги 1–2: the profile, a child from Госуслуги, and «Сферум» through VK ID."""
    await expect(page.get_by_role("heading", name="Профиль")).to_be_visible()
    await expect(page.locator(".hint").first).to_contain_text("должна быть привязана")
    await shots.take(page, "profile")
    link = page.get_by_role("button", name=f"Привязать: {YOUNG_CHILD.full_name}")
    if await link.count():
        await link.click()
        await expect(page.locator("[role=status]")).to_contain_text("Ребёнок привязан")
    await expect(page.locator("#linked-children")).to_contain_text(YOUNG_CHILD.full_name)
    await shots.take(page, "child-linked")

    sferum = page.locator("#sferum")
    if await sferum.get_by_role("button", name="Отвязать").count():
        await sferum.get_by_role("button", name="Отвязать").click()  # link it afresh every run
    await sferum.get_by_role("button", name="Привязать Сферум").click()
    await expect(page.get_by_text("VK ID — симулятор")).to_be_visible()
    await shots.take(page, "vk-id-consent")
    await page.get_by_role("link", name="Разрешить").click()
    await expect(page.locator("#sferum-state")).to_contain_text("привязана")
    await shots.take(page, "sferum-linked")


async def find_psychologist(page: Page, stack: Stack, shots: Shots) -> list[str]:
    """Шаг 3: by ФИО, by a topic, by the date of her first free slot; returns her free slots
    (two hours ahead or later), soonest first."""
    await page.get_by_role("link", name="Подбор психолога").click()
    await page.get_by_label("ФИО психолога").fill("иванова мария")
    await submit(page, page.get_by_role("button", name="Найти"))
    assert str(PSYCHOLOGIST.id) in await results(page)
    await shots.take(page, "search-by-name")

    item = page.locator(f"li.result[data-id='{PSYCHOLOGIST.id}']")
    topic = (await item.locator(".topic").all_inner_texts())[0]
    await page.goto(f"{stack.portal}/psychologists")
    await page.get_by_label(topic, exact=True).check()
    await submit(page, page.get_by_role("button", name="Найти"))
    assert await listed_on_some_page(page), "not found by her topic"
    await shots.take(page, "search-by-topic")

    later = datetime.now(UTC) + timedelta(hours=2)
    slots = await free_slot_ids(page, stack, str(PSYCHOLOGIST.id), later)
    assert slots, "the demo psychologist has no free slot in the next month"
    form = page.locator(f"form:has(button[data-slot='{slots[0]}'])")
    starts = await form.locator("input[name=starts_at]").get_attribute("value") or ""
    day = datetime.fromisoformat(starts).date().isoformat()  # already in her zone
    await page.goto(f"{stack.portal}/psychologists")
    await page.get_by_label("Даты консультации: с").fill(day)
    await page.get_by_label("по", exact=True).fill(day)
    await submit(page, page.get_by_role("button", name="Найти"))
    assert await listed_on_some_page(page), "not found by her free date"
    await shots.take(page, "search-by-date")
    return slots


async def listed_on_some_page(page: Page, pages: int = 5) -> bool:
    """Results come 20 a page, nearest free time first: page on like a person would (the demo
    set has 50 psychologists, so a few pages at most)."""
    for _ in range(pages):
        if str(PSYCHOLOGIST.id) in await results(page):
            return True
        further = page.get_by_role("link", name="Дальше →")
        if not await further.count():
            return False
        await submit(page, further)
    return False


async def reschedule_target(page: Page) -> Locator:
    """A new time a couple of hours ahead or more: never one inside booking's 5-minute lead,
    nor a short-notice slot another test is about to open and withdraw."""
    later = datetime.now(UTC) + timedelta(hours=2)
    options = page.locator("input[name=slot_id]")
    starts = await options.evaluate_all("inputs => inputs.map(i => i.dataset.startsAt)")
    index = next((i for i, s in enumerate(starts) if datetime.fromisoformat(s) > later), None)
    assert index is not None, "no other free time of the psychologist to move the booking to"
    return options.nth(index)


async def test_parent_books_a_consultation_for_a_young_child(
    page: Page, stack: Stack, shots: Shots
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=5)
    await log_in(page, stack, PARENT.oid)
    await cancel_everything(page, stack)
    await page.goto(f"{stack.portal}/profile")
    await link_child_and_sferum(page, shots)
    slots = await find_psychologist(page, stack, shots)

    # Шаг 4: the time is held for us, with a visible countdown.
    await hold_one_of(page, stack, str(PSYCHOLOGIST.id), slots)
    await expect(page.get_by_role("heading", name="Данные консультации")).to_be_visible()
    await expect(page.locator("#countdown-value")).to_have_text(re.compile(r"^(0\d|10):\d\d$"))
    await shots.take(page, "hold-countdown")

    # Шаг 5: type, two topics, the child, a comment.
    offered = page.locator("input[name=format]")
    assert 1 <= await offered.count() <= 3
    await offered.first.check()
    topics = page.locator("input[name=topics]")
    await topics.nth(0).check()
    await topics.nth(1).check()
    await page.get_by_label(YOUNG_CHILD.full_name).check()
    await page.get_by_label("Комментарий").fill("Сын тревожится перед контрольными (автотест)")
    await shots.take(page, "details-filled")

    # Шаги 6–7: «Записаться», the dialog, «Хорошо» → «Мои записи».
    booking = await submit_booking(page)
    await shots.take(page, "success-dialog")
    await page.get_by_role("link", name="Хорошо").click()
    await expect(page).to_have_url(f"{stack.portal}/bookings")
    row = page.locator(f"#booking-{booking}")
    await expect(row.locator(".status")).to_have_text("Подтверждена")
    await expect(row).to_contain_text(PSYCHOLOGIST.full_name)
    await expect(row).to_contain_text(YOUNG_CHILD.full_name)
    await shots.take(page, "my-bookings")

    # «Сообщения»: the notification reaches the inbox, and the header counts it.
    async def in_inbox() -> bool:
        await page.goto(f"{stack.portal}/messages")
        return await page.locator(f"a[href='/bookings#booking-{booking}']").count() > 0

    await eventually(in_inbox, "the booking's message in «Сообщения»")
    await expect(page.locator("#unread-count")).not_to_have_text("0")
    await shots.take(page, "messages")

    # The e-mail, in the SMTP sink.
    mails = await eventually(
        lambda: emails_to(stack, str(PARENT.email), started), "an e-mail to the parent"
    )
    assert any(m["subject"] for m in mails)

    # «Перенести» to another free time of the same psychologist, then «Отменить» with a reason.
    await page.goto(f"{stack.portal}/bookings")
    await row.get_by_role("link", name="Перенести").click()
    await expect(page.get_by_role("heading", name="Перенос записи")).to_be_visible()
    await (await reschedule_target(page)).check()
    await shots.take(page, "reschedule")
    await page.get_by_role("button", name="Перенести").click()
    await expect(page.locator("[role=status]")).to_contain_text("перенесена")
    await expect(row.locator(".status")).to_have_text("Подтверждена")
    await cancel_booking(page, stack, booking, "Заболел (автотест)")
    await shots.take(page, "cancelled")
