"""T-15: a consultation 10 minutes ahead. The psychologist opens the time in the cabinet, a
parent books it, «Войти в Сферум» is active at once, lands in the room, and the join is recorded
(both the parent's «Мои записи» and the psychologist's cabinet show it)."""

import re
from datetime import UTC, datetime

from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.flows import (
    Shots,
    Stack,
    alert_text,
    cancel_booking,
    cancel_everything,
    eventually,
    hold_slot,
    local_slot_start,
    log_in,
    person,
    submit_booking,
)

PARENT = person("1000001")
# In different zones: whatever the hour of the run, one of them has no school-hours slot then.
PSYCHOLOGISTS = [person(oid) for oid in ("2000001", "2000004", "2000003", "2000002")]


async def open_slot_soon(context: BrowserContext, stack: Stack, shots: Shots) -> tuple:  # type: ignore[type-arg]
    """The psychologist adds a video/chat slot starting ~10 minutes from now; → (who, slot id)."""
    refusals = []
    for psychologist in PSYCHOLOGISTS:
        page = await context.new_page()
        await log_in(page, stack, psychologist.oid)
        await expect(page.get_by_role("heading", name="Кабинет психолога")).to_be_visible()
        start = local_slot_start(psychologist.region.timezone, 10)
        await page.get_by_label("Дата").fill(start.date().isoformat())
        await page.get_by_label("Начало").fill(start.strftime("%H:%M"))
        await page.get_by_label("Длительность, мин").select_option("45")
        await page.get_by_role("checkbox", name="Видео").check()
        await page.get_by_role("checkbox", name="Чат").check()
        await page.get_by_role("checkbox", name="Очно").uncheck()
        await page.get_by_role("button", name="Добавить").click()
        await page.wait_for_load_state()
        if "добавлено" in " ".join(await page.locator("[role=status]").all_inner_texts()):
            row = page.locator("#schedule tr", has_text=start.strftime("%H:%M–")).first
            slot_id = (await row.get_attribute("id") or "").removeprefix("slot-")
            await shots.take(page, "cabinet-slot-added")
            return psychologist, slot_id, page, start
        refusals.append(f"{psychologist.full_name}: {await alert_text(page)}")
        await page.get_by_role("button", name="Выйти").click()
        await page.close()
    raise AssertionError(
        "no psychologist could open a slot 10 minutes ahead: " + "; ".join(refusals)
    )


async def test_join_through_the_button_is_recorded(new_context, stack: Stack, shots: Shots) -> None:  # type: ignore[no-untyped-def]
    psychologist_context = await new_context()
    psychologist, slot_id, cabinet, start = await open_slot_soon(psychologist_context, stack, shots)

    page: Page = await (await new_context()).new_page()
    await log_in(page, stack, PARENT.oid)
    await cancel_everything(page, stack)
    await hold_slot(page, stack, str(psychologist.id), slot_id)
    await page.get_by_role("radio", name="Видео").check()
    await page.locator("input[name=topics]").first.check()
    await page.get_by_role("radio", name=re.compile(r"^Я")).check()
    booking = await submit_booking(page)
    await page.get_by_role("link", name="Хорошо").click()

    row = page.locator(f"#booking-{booking}")
    join = row.get_by_role("button", name="Войти в Сферум")

    async def join_enabled() -> bool:
        await page.goto(f"{stack.portal}/bookings")
        return await join.is_enabled()

    await eventually(join_enabled, "«Войти в Сферум» to become active (T-15)", 60)
    await shots.take(page, "join-active")
    await join.click()
    await page.wait_for_url(re.compile(r".*/sferum/rooms/.+"))
    await expect(page.get_by_role("heading", name="Сферум")).to_be_visible()
    await expect(page.get_by_role("button", name="Присоединиться через браузер")).to_be_visible()
    await shots.take(page, "sferum-room")

    await page.goto(f"{stack.portal}/bookings")
    await expect(row.locator(".joined")).to_contain_text("вы")
    await shots.take(page, "join-recorded")

    # The psychologist sees today's consultation, its join button, and the parent's join.
    async def in_cabinet() -> bool:
        await cabinet.goto(f"{stack.portal}/cabinet")
        return await cabinet.locator(f"#booking-{booking} .joined").count() > 0

    await eventually(in_cabinet, "the consultation and the join in the psychologist's cabinet")
    consultation = cabinet.locator(f"#booking-{booking}")
    local_today = datetime.now(UTC).astimezone(start.tzinfo).date()
    section = "today-h" if start.date() == local_today else "next-h"
    await expect(
        cabinet.locator(f"section[aria-labelledby={section}] #booking-{booking}")
    ).to_be_visible()
    await expect(consultation.get_by_role("button", name="Войти в Сферум")).to_be_enabled()
    await shots.take(cabinet, "cabinet-consultation")

    await cancel_booking(page, stack, booking, "Завершение автотеста")
