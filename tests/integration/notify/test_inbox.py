"""The inbox «Сообщения» over HTTP (own messages only, read marks, SSE), and events notify
cannot or need not fully handle."""

import asyncio
import json
import uuid

import httpx
from psy_contracts import topics
from psy_contracts.events.booking import BookingCancelled
from psy_contracts.topics import dead_letter

from tests.integration.notify.conftest import Sink, booking_created, person
from tests.support.kafka import read_topic, wait_until


async def test_inbox_shows_own_messages_marks_them_read_and_streams_new_ones(
    notify_factory, issuer
) -> None:
    parent = person("parent", "Europe/Samara", "Анна Петрова")
    psychologist = person("psychologist", "Europe/Samara", "Мария Смирнова")
    stranger = uuid.uuid4()
    notify = notify_factory()
    async with notify.running(), httpx.AsyncClient(base_url=notify.base, timeout=30) as http:
        await notify.register(parent, psychologist)
        first = booking_created(parent, psychologist)
        await notify.publish(first, first.booking_id)
        await wait_until(lambda: _count(notify.inbox(parent), 1))

        streamed: asyncio.Queue[dict] = asyncio.Queue()  # type: ignore[type-arg]
        subscribed = asyncio.Event()

        async def listen() -> None:
            headers = issuer.headers(parent.id, "parent")
            async with http.stream("GET", "/inbox/stream", headers=headers) as response:
                assert response.status_code == 200
                event = None
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        event = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and event == "ready":
                        subscribed.set()
                    elif line.startswith("data:") and event == "message":
                        await streamed.put(json.loads(line.split(":", 1)[1]))

        listener = asyncio.create_task(listen())
        try:
            await asyncio.wait_for(subscribed.wait(), 10)
            second = booking_created(parent, psychologist)
            await notify.publish(second, second.booking_id)
            live = await asyncio.wait_for(streamed.get(), 30)
        finally:
            listener.cancel()
        assert live["booking_id"] == str(second.booking_id)
        assert live["title"].startswith("Запись на консультацию подтверждена")

        page = await notify.inbox(parent)
        assert page["unread"] == 2
        newest, older = page["items"]
        assert newest["id"] == live["id"]  # newest first, and what was streamed is listed
        assert older["booking_id"] == str(first.booking_id)
        assert await notify.inbox(stranger) == {"items": [], "unread": 0}

        mine = issuer.headers(parent.id, "parent")
        theirs = issuer.headers(stranger, "parent")
        assert (await http.get("/inbox")).status_code == 401
        assert (await http.get("/inbox/stream")).status_code == 401
        refused = await http.post(f"/inbox/{older['id']}/read", headers=theirs)
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
        assert (await http.get("/inbox", params={"page": 0}, headers=mine)).status_code == 422
        assert (await notify.inbox(parent))["unread"] == 2  # the stranger changed nothing
        assert (await http.post(f"/inbox/{older['id']}/read", headers=mine)).status_code == 204
        page = await notify.inbox(parent)
        assert page["unread"] == 1
        assert [i["read"] for i in page["items"]] == [False, True]
        done = await http.post("/inbox/read-all", headers=mine)
        assert done.status_code == 200 and done.json() == {"marked": 1}
        assert (await notify.inbox(parent))["unread"] == 0
        assert (await notify.inbox(psychologist))["unread"] == 2  # others' marks are their own


async def test_no_email_unknown_booking_and_malformed_events_do_not_stop_notify(
    notify_factory, sink: Sink, infra
) -> None:
    parent = person("parent", "Europe/Samara", "Анна Петрова", with_email=False)
    psychologist = person("psychologist", "Europe/Samara", "Мария Смирнова")
    notify = notify_factory()
    async with notify.running():
        await notify.register(parent, psychologist)
        await notify.publish_raw(topics.BOOKING, b'{"specversion": "1.0", "type": 42', "bad")
        never_seen = uuid.uuid4()
        await notify.publish(
            BookingCancelled(
                booking_id=never_seen, slot_id=uuid.uuid4(), cancelled_by=parent.id, reason="—"
            ),
            never_seen,
        )
        created = booking_created(parent, psychologist)
        await notify.publish(created, created.booking_id)
        await wait_until(lambda: _count(notify.inbox(parent), 1))
        await notify.emails_settled(1)
        async with httpx.AsyncClient(base_url=notify.base) as http:
            health = await http.get("/healthz")
    assert health.status_code == 200
    (mail,) = await sink.messages_to(psychologist.email)
    assert mail["Subject"].startswith("Запись на консультацию подтверждена")
    assert await notify.scalar("SELECT count(*) FROM email_outbox") == 1  # nobody to mail
    assert await notify.scalar("SELECT count(*) FROM inbox_message") == 2
    dead = await read_topic(
        infra.kafka, notify.settings.topic(dead_letter(topics.BOOKING, "notify")), expect=1
    )
    assert [d.key for d in dead] == ["bad"]  # the unknown booking is acknowledged, not dead
    assert dead[0].headers["x-consumer-group"] == "notify"


async def _count(found, expected: int):  # type: ignore[no-untyped-def]
    page = await found
    return page if len(page["items"]) >= expected else None
