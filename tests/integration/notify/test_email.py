"""What people receive: e-mails over real SMTP (the stack's sink) and inbox rows, on real Kafka."""

import json
import uuid
from email.message import EmailMessage

from icalendar import Calendar
from psy_contracts import topics
from psy_contracts.events.booking import BookingCancelled, BookingRescheduled
from psy_contracts.events.sessions import LinkDispatched, Recipient

from tests.integration.notify.conftest import Sink, booking_created, person
from tests.support.kafka import read_topic, wait_until


def calendar_of(message: EmailMessage) -> Calendar:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


async def test_a_booking_confirmation_reaches_client_and_psychologist(
    notify_factory, sink: Sink, infra
) -> None:
    parent = person("parent", "Europe/Samara", "Анна Петрова")
    child = person("child", "Europe/Samara", "Петя Петров", with_email=False)
    psychologist = person("psychologist", "Asia/Vladivostok", "Мария Смирнова")
    notify = notify_factory()
    async with notify.running():
        await notify.register(parent, child, psychologist)
        created = booking_created(parent, psychologist, child)
        cause = await notify.publish(created, created.booking_id)
        mails = await wait_until(
            lambda: _exactly(sink.messages_to(parent.email, psychologist.email), 2)
        )
        to_parent = next(m for m in mails if m["To"] == parent.email)
        to_psychologist = next(m for m in mails if m["To"] == psychologist.email)
        parent_inbox = await notify.inbox(parent)
        psychologist_inbox = await notify.inbox(psychologist)
        child_inbox = await notify.inbox(child)

    starts = created.starts_at
    samara = f"{starts.astimezone(_zone('Europe/Samara')):%H:%M}"
    vladivostok = f"{starts.astimezone(_zone('Asia/Vladivostok')):%H:%M}"
    for mail, local, tz in (
        (to_parent, samara, "Europe/Samara"),
        (to_psychologist, vladivostok, "Asia/Vladivostok"),
    ):
        assert mail["Subject"].startswith("Запись на консультацию подтверждена")
        assert f"в {local} ({tz}" in mail["Subject"] and f"в {local} ({tz}" in text_of(mail)
        assert "Тревожность" in text_of(mail)  # the parties themselves see the topics
        event = calendar_of(mail).walk("VEVENT")[0]
        assert str(calendar_of(mail)["method"]) == "REQUEST"
        assert event.decoded("dtstart") == starts
        assert str(event["uid"]) == f"booking-{created.booking_id}@psy"
        assert mail["Message-ID"].endswith("@psy.edu.ru>")
        assert mail.get_body(preferencelist=("html",)) is not None
    assert to_parent["Message-ID"] != to_psychologist["Message-ID"]
    assert "Здравствуйте, Анна Петрова!" in text_of(to_parent)
    for inbox in (parent_inbox, psychologist_inbox):
        assert inbox["unread"] == 1
        (item,) = inbox["items"]
        assert item["booking_id"] == str(created.booking_id) and item["read"] is False
        assert item["title"].startswith("Запись на консультацию подтверждена")
    assert child_inbox == {"items": [], "unread": 0}  # a child booked by a parent: not addressed
    delivered = await read_topic(infra.kafka, notify.settings.topic(topics.NOTIFY), expect=4)
    facts = [json.loads(m.value)["data"] for m in delivered]
    assert sorted(f["channel"] for f in facts) == ["email", "email", "inbox", "inbox"]
    assert {f["cause_event_id"] for f in facts} == {str(cause.id)}  # type: ignore[attr-defined]


async def test_a_child_of_14_booking_for_themself_informs_the_parent_without_topics(
    notify_factory, sink: Sink
) -> None:
    parent = person("parent", "Asia/Yekaterinburg", "Ольга Сидорова")
    teen = person("child", "Europe/Samara", "Игорь Сидоров")
    psychologist = person("psychologist", "Europe/Samara", "Мария Смирнова")
    notify = notify_factory()
    async with notify.running():
        await notify.register(parent, teen, psychologist)
        await notify.link(parent, teen)
        created = booking_created(teen, psychologist, comment="Никому не говорите")
        await notify.publish(created, created.booking_id)
        (to_parent,) = await wait_until(lambda: _exactly(sink.messages_to(parent.email), 1))
        await wait_until(lambda: _exactly(sink.messages_to(teen.email, psychologist.email), 2))
    body = text_of(to_parent)
    assert to_parent["Subject"].startswith("Ваш ребёнок записался на консультацию")
    assert "Игорь Сидоров" in body
    assert "Тревожность" not in body and "Никому не говорите" not in body
    local = created.starts_at.astimezone(_zone("Asia/Yekaterinburg"))
    assert f"в {local:%H:%M} (Asia/Yekaterinburg" in body


async def test_reschedule_links_and_cancel_update_the_same_calendar_entry(
    notify_factory, sink: Sink
) -> None:
    parent = person("parent", "Europe/Samara", "Анна Петрова")
    child = person("child", "Europe/Samara", "Петя Петров")
    psychologist = person("psychologist", "Europe/Samara", "Мария Смирнова")
    notify = notify_factory()
    async with notify.running():
        await notify.register(parent, child, psychologist)
        created = booking_created(parent, psychologist, child)
        b = created.booking_id
        await notify.publish(created, b)
        await wait_until(lambda: _exactly(sink.messages_to(parent.email), 1))
        later = created.starts_at + (created.ends_at - created.starts_at) * 3
        await notify.publish(
            BookingRescheduled(
                booking_id=b,
                old_slot_id=created.slot_id,
                slot_id=uuid.uuid4(),
                starts_at=later,
                ends_at=later + (created.ends_at - created.starts_at),
            ),
            b,
        )
        urls = {
            p.id: f"http://sessions.test/join/{p.id.hex}" for p in (parent, child, psychologist)
        }
        recipients = [Recipient(account_id=k, join_url=v) for k, v in urls.items()]
        await notify.publish(
            LinkDispatched(booking_id=b, starts_at=later, ends_at=later, recipients=recipients),
            b,
        )
        # The child participant: the reschedule, then the link (not the confirmation).
        await wait_until(lambda: _exactly(sink.messages_to(child.email), 2))
        await notify.publish(
            BookingCancelled(
                booking_id=b, slot_id=uuid.uuid4(), cancelled_by=psychologist.id, reason="Болезнь"
            ),
            b,
        )
        to_parent = await wait_until(lambda: _exactly(sink.messages_to(parent.email), 4))
        to_child = await wait_until(lambda: _exactly(sink.messages_to(child.email), 3))
    by_subject = {m["Subject"].split(":")[0].split(" на ")[0]: m for m in to_parent}
    invite = calendar_of(by_subject["Запись"])
    moved = calendar_of(by_subject["Консультация перенесена"])
    cancel = calendar_of(by_subject["Консультация отменена"])
    link = by_subject["Консультация начнётся через 15 минут"]
    assert [str(c["method"]) for c in (invite, moved, cancel)] == ["REQUEST", "REQUEST", "CANCEL"]
    events = [c.walk("VEVENT")[0] for c in (invite, moved, cancel)]
    assert {str(e["uid"]) for e in events} == {f"booking-{b}@psy"}
    assert [e.decoded("sequence") for e in events] == [0, 1, 2]
    assert events[1].decoded("dtstart") == later
    assert urls[parent.id] in text_of(link) and urls[child.id] not in text_of(link)
    assert "Войти в Сферум" in text_of(link) and "пропуск консультации" in text_of(link)
    assert "Болезнь" in text_of(by_subject["Консультация отменена"])
    child_link = next(m for m in to_child if "15 минут" in m["Subject"])
    assert urls[child.id] in text_of(child_link)


async def _exactly(found, count: int):  # type: ignore[no-untyped-def]
    messages = await found
    assert len(messages) <= count, f"more e-mails than expected: {len(messages)} > {count}"
    return messages if len(messages) == count else None


def _zone(name: str):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


async def test_an_in_person_booking_gets_a_reminder_with_the_place_at_t15(
    notify_factory, sink: Sink
) -> None:
    """Sessions signals T-15 of an in-person booking with link_dispatched and no recipients."""
    parent = person("parent", "Europe/Samara", "Анна Петрова")
    psychologist = person("psychologist", "Asia/Omsk", "Мария Смирнова")
    notify = notify_factory()
    place = "Школа № 5, кабинет 12"
    async with notify.running():
        await notify.register(parent, psychologist)
        created = booking_created(parent, psychologist, format="in_person", place=place)
        await notify.publish(created, created.booking_id)
        await wait_until(lambda: _exactly(sink.messages_to(parent.email, psychologist.email), 2))
        t15 = LinkDispatched(
            booking_id=created.booking_id,
            starts_at=created.starts_at,
            ends_at=created.ends_at,
            recipients=[],
        )
        await notify.publish(t15, created.booking_id)
        mails = await wait_until(
            lambda: _exactly(sink.messages_to(parent.email, psychologist.email), 4)
        )
    reminders = [m for m in mails if m["Subject"].startswith("Напоминание: очная консультация")]
    assert sorted(m["To"] for m in reminders) == sorted([parent.email, psychologist.email])
    for reminder in reminders:
        assert place in text_of(reminder) and "/join/" not in text_of(reminder)
    omsk = f"{created.starts_at.astimezone(_zone('Asia/Omsk')):%H:%M}"
    to_psychologist = next(m for m in reminders if m["To"] == psychologist.email)
    assert f"в {omsk} (Asia/Omsk" in to_psychologist["Subject"]
