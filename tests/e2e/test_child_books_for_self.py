"""A child of 14+, linked to a parent, logs in and books for themself («Участник»: only «Я»)."""

from datetime import UTC, datetime, timedelta

from playwright.async_api import expect

from tests.e2e.flows import (
    Shots,
    Stack,
    cancel_booking,
    cancel_everything,
    free_slot_ids,
    hold_one_of,
    log_in,
    person,
    submit_booking,
)

PARENT, TEEN, PSYCHOLOGIST = person("1000001"), person("1000012"), person("2000002")


async def test_a_teen_books_for_themself(new_context, stack: Stack, shots: Shots) -> None:  # type: ignore[no-untyped-def]
    parent = await (await new_context()).new_page()
    await log_in(parent, stack, PARENT.oid)
    link = parent.get_by_role("button", name=f"Привязать: {TEEN.full_name}")
    if await link.count():
        await link.click()
    await expect(parent.locator("#linked-children")).to_contain_text(TEEN.full_name)
    await shots.take(parent, "parent-linked-teen")

    teen = await (await new_context(width=360, height=800)).new_page()  # on a phone
    await log_in(teen, stack, TEEN.oid)
    await expect(teen.locator("body")).to_contain_text("с 14 лет")
    await shots.take(teen, "teen-profile")
    await cancel_everything(teen, stack)

    slots = await free_slot_ids(
        teen, stack, str(PSYCHOLOGIST.id), datetime.now(UTC) + timedelta(hours=2)
    )
    assert slots, "the demo psychologist has no free slot"
    await shots.take(teen, "teen-card")
    await hold_one_of(teen, stack, str(PSYCHOLOGIST.id), slots[::-1])
    participants = teen.locator("input[name=participant_id]")
    await expect(participants).to_have_count(1)
    await expect(participants).to_be_checked()
    await expect(teen.get_by_label("Я", exact=True)).to_be_visible()
    await teen.locator("input[name=format]").first.check()
    await teen.locator("input[name=topics]").first.check()
    await shots.take(teen, "teen-details")
    action = await teen.locator("#booking-form").get_attribute("action")
    fields = await teen.evaluate(
        "() => Object.fromEntries(new FormData(document.getElementById('booking-form')))"
    )
    booking = await submit_booking(teen)
    # The same form sent again (a double click, a resend) is the same booking, not a second one.
    again = await teen.request.post(f"{stack.portal}{action}", form=fields, max_redirects=0)
    assert again.status == 303
    assert again.headers["location"].endswith(f"/book/done/{booking}")
    await shots.take(teen, "teen-dialog")
    await teen.get_by_role("link", name="Хорошо").click()
    await expect(teen.locator(f"#booking-{booking} .status")).to_have_text("Подтверждена")
    await expect(teen.locator("article.booking[data-status=confirmed]")).to_have_count(1)
    await shots.take(teen, "teen-bookings")

    # The parent sees the child's own booking too.
    await parent.goto(f"{stack.portal}/bookings")
    await expect(parent.locator(f"#booking-{booking}")).to_contain_text(TEEN.full_name)
    await shots.take(parent, "parent-sees-teen-booking")
    await cancel_booking(teen, stack, booking, "Завершение автотеста")
