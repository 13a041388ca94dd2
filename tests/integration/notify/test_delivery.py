"""Exactly one e-mail and one inbox message per (event, recipient): SMTP outages, redelivery,
a stop mid-batch, and giving up."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator

from aiosmtpd.smtp import SMTP
from psy_contracts import topics
from psy_localstack.smtp_sink import MESSAGES, Keeper
from psy_notify import mail_queue
from psy_notify.domain import message_id
from psy_notify.sender import EmailSender
from psy_platform.db import Database

from tests.integration.notify.conftest import Sink, booking_created, free_port, person
from tests.support.kafka import read_topic, wait_until


@contextlib.asynccontextmanager
async def second_sink(port: int) -> AsyncIterator[None]:
    """An SMTP sink of this test only, on its own port (the shared sink is never stopped).
    It keeps messages in this process, in the sink module's MESSAGES."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Keeper(), enable_SMTPUTF8=True), "127.0.0.1", port
    )
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


def kept_for(*addresses: str) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in MESSAGES.values() if set(m["to"]) & set(addresses)]


async def test_smtp_down_delays_only_the_email_which_goes_out_once_when_it_is_back(
    notify_factory,
) -> None:
    port = free_port()  # nothing listens here until the test starts its own sink
    parent = person("parent", "Europe/Samara", "Анна Петрова")
    psychologist = person("psychologist", "Europe/Samara", "Мария Смирнова")
    notify = notify_factory(smtp_port=port, sender_max_attempts=1000)
    async with notify.running():
        await notify.register(parent, psychologist)
        created = booking_created(parent, psychologist)
        await notify.publish(created, created.booking_id)
        inbox = await wait_until(lambda: _nonempty(notify.inbox(parent)))
        # The sender has tried and failed at least twice, and keeps backing off.
        await notify.wait_for("SELECT min(attempts) >= 2 FROM email_outbox", True)
        assert await notify.scalar("SELECT count(*) FROM email_outbox WHERE status='pending'") == 2
        assert kept_for(parent.email, psychologist.email) == []
        async with second_sink(port):
            await notify.emails_settled(2)
            delivered = kept_for(parent.email, psychologist.email)
    assert inbox["unread"] == 1
    assert sorted(m["to"][0] for m in delivered) == sorted([parent.email, psychologist.email])
    assert await notify.scalar("SELECT count(*) FROM email_outbox WHERE status='sent'") == 2
    # Sent e-mails keep no bodies (they may name consultation topics).
    assert await notify.scalar("SELECT count(*) FROM email_outbox WHERE text_body IS NOT NULL") == 0


async def test_an_email_that_never_goes_through_is_given_up_and_reported(
    notify_factory, infra
) -> None:
    parent = person("parent", "Europe/Samara", "Анна Петрова")
    psychologist = person("psychologist", "Europe/Samara", "Мария Смирнова", with_email=False)
    notify = notify_factory(smtp_port=free_port(), sender_max_attempts=3)
    async with notify.running():
        await notify.register(parent, psychologist)
        created = booking_created(parent, psychologist)
        await notify.publish(created, created.booking_id)
        await notify.emails_settled(1)
    assert await notify.scalar("SELECT status FROM email_outbox") == "dead"
    assert await notify.scalar("SELECT attempts FROM email_outbox") == 3
    facts = await read_topic(infra.kafka, notify.settings.topic(topics.NOTIFY), expect=3)
    by_channel = {
        (json.loads(f.value)["type"].split(".")[-2], json.loads(f.value)["data"]["channel"])
        for f in facts
    }
    assert by_channel == {("delivered", "inbox"), ("failed", "email")}
    failed = next(json.loads(f.value)["data"] for f in facts if b"failed" in f.value)
    assert failed["recipient_id"] == str(parent.id) and failed["error"]


async def test_the_same_event_twice_gives_one_email_and_one_inbox_message(
    notify_factory, sink: Sink
) -> None:
    parent = person("parent", "Europe/Samara", "Анна Петрова")
    psychologist = person("psychologist", "Europe/Samara", "Мария Смирнова")
    notify = notify_factory()
    async with notify.running():
        await notify.register(parent, psychologist)
        created = booking_created(parent, psychologist)
        event = await notify.publish(created, created.booking_id)
        await notify.publish(created, created.booking_id, event=event)  # Kafka redelivers
        consumers = notify.app.state.service_runtime.consumers
        await wait_until(lambda: consumers.handled >= 4)  # 2 contacts + the event twice
        await notify.emails_settled(2)
        inbox = await notify.inbox(parent)
    mails = await sink.messages_to(parent.email, psychologist.email)
    assert sorted(m["To"] for m in mails) == sorted([parent.email, psychologist.email])
    assert len(inbox["items"]) == 1


async def test_a_notify_stopped_mid_batch_and_started_again_loses_and_repeats_nothing(
    notify_factory, sink: Sink
) -> None:
    parent = person("parent", "Europe/Samara", "Анна Петрова")
    psychologist = person("psychologist", "Europe/Samara", "Мария Смирнова")
    bookings = 25
    first = notify_factory(sender_batch_size=5)
    async with first.running():
        await first.register(parent, psychologist)
        for _ in range(bookings):
            created = booking_created(parent, psychologist)
            await first.publish(created, created.booking_id)
        await wait_until(lambda: _nonempty(sink.messages_to(parent.email, psychologist.email)))
    # Graceful stop (SIGTERM): the in-flight e-mail finished, the rest of the batch handed back.
    sent_before = await first.scalar("SELECT count(*) FROM email_outbox WHERE status='sent'")
    second = notify_factory(sender_batch_size=5)
    async with second.running():
        await second.wait_for("SELECT count(*) FROM inbox_message", 2 * bookings)
        await second.emails_settled(2 * bookings)
    mails = await sink.messages_to(parent.email, psychologist.email)
    ids = [m["Message-ID"] for m in mails]
    assert len(ids) == len(set(ids)) == 2 * bookings, f"{sent_before} were sent before the stop"
    assert await second.scalar("SELECT count(*) FROM email_outbox WHERE status='sent'") == 50


async def _nonempty(found):  # type: ignore[no-untyped-def]
    value = await found
    if isinstance(value, dict):
        return value if value["items"] else None
    return value or None


async def test_two_sender_replicas_send_each_queued_email_once(notify_factory, sink: Sink) -> None:
    notify = notify_factory(sender_batch_size=4)
    addresses = [f"replica-{uuid.uuid4().hex[:10]}@example.ru" for _ in range(30)]
    db = Database(notify.settings.database_url)
    try:
        async with db.transaction() as session:
            for address in addresses:
                cause, recipient = uuid.uuid4(), uuid.uuid4()
                await mail_queue.enqueue(
                    session, cause, recipient, address, "Проверка", "текст", "<p>текст</p>",
                    None, None, message_id(cause, recipient),
                )  # fmt: skip
        replicas = [EmailSender(db, notify.settings) for _ in range(2)]

        async def drain(sender: EmailSender) -> None:
            while await sender.deliver_due():
                pass

        await asyncio.gather(*(drain(r) for r in replicas))
    finally:
        await db.close()
    assert all(r.sent > 0 for r in replicas), "both replicas took part"
    assert sum(r.sent for r in replicas) == len(addresses)
    mails = await sink.messages_to(*addresses)
    assert sorted(m["To"] for m in mails) == sorted(addresses)
