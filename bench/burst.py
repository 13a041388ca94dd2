"""Burst benchmark: N consultations due in the same minute → seconds until every link is out.

    cd /work/main && source .stack/env && uv run python bench/burst.py [1000 5000 10000]

Per size: a fresh database (migrated), N video sessions inserted directly as rows (what
booking.created would have made; the consumer path is not what is measured), all due in one
minute. Rooms are first opened ahead, as RoomOpener does an hour before the start (timed apart;
one extra run of the smallest size skips this: every room opened at T-15, the worst case). Two
dispatcher instances (each its own connection pool, as two replicas) and two outbox relays run
against it, rooms from the Сферум simulator (a separate process) over HTTP. Timed from start
until a Kafka consumer has seen session.link_dispatched for every booking, and checked that
each booking's event arrived exactly once.

Baseline in the same run: the raw rate of producing N messages of the same size to Kafka with
aiokafka's idempotent producer (acks=all), i.e. the floor any dispatcher sits on.
Writes Markdown to stdout and bench/out/burst.md.
"""

import asyncio
import os
import socket
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from psy_contracts import topics
from psy_platform.db import Database
from psy_platform.migrations import migrate
from psy_platform.outbox import OutboxRelay
from psy_sessions import store
from psy_sessions.__main__ import MIGRATIONS
from psy_sessions.clock import SystemClock
from psy_sessions.dispatcher import Dispatcher
from psy_sessions.links import JoinLinks
from psy_sessions.room_opener import RoomOpener
from psy_sessions.rooms import SferumRooms

PG_ADMIN = os.environ.get("PSY_PG_ADMIN_URL", "postgresql://psy@127.0.0.1:15432/postgres")
KAFKA = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
OUT = Path(__file__).parent / "out" / "burst.md"
PARTITIONS = 6


SFERUM_APP = """
import sys, uvicorn
from fastapi import FastAPI
from psy_localstack.simulators.sferum import RoomRegistry, build_router
app = FastAPI()
app.include_router(build_router(RoomRegistry()), prefix="/sferum")
uvicorn.run(app, port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


async def start_sferum() -> tuple[asyncio.subprocess.Process, str]:
    """The simulator in its own process, as Сферум is another system: its CPU is not ours."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", SFERUM_APP, str(port))
    url = f"http://127.0.0.1:{port}/sferum"
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.post(f"{url}/rooms", json={"booking_key": "warm-up"})
                return proc, url
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
    if proc.returncode is None:
        proc.terminate()
    raise RuntimeError("the Сферум simulator did not start")


async def new_database() -> tuple[str, str]:
    name = f"bench_sessions_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return name, f"{url}/{name}"


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def create_topic(name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, PARTITIONS, 1)])
    finally:
        await admin.close()


async def schedule_burst(db: Database, n: int) -> set[str]:
    now = datetime.now(UTC)
    starts = now + timedelta(minutes=14)  # the burst minute: due now
    rows = []
    for i in range(n):
        parent, child = uuid.uuid4(), uuid.uuid4()
        rows.append(
            {
                "booking_id": uuid.uuid4(),
                "psychologist_id": uuid.uuid4(),
                "booked_by": parent,
                "participant_id": child,
                "participant_kind": "child",
                "format": "video",
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=50),
                "dispatch_at": now - timedelta(seconds=i % 60),
            }
        )
    async with db.transaction() as tx:
        for chunk in range(0, n, 2000):
            await tx.execute(store.sessions.insert(), rows[chunk : chunk + 2000])
    return {str(r["booking_id"]) for r in rows}


async def count_until(topic: str, expected: set[str], ready: asyncio.Event) -> Counter[str]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=KAFKA,
        group_id=f"bench-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    ready.set()
    seen: Counter[str] = Counter()
    try:
        while not expected <= set(seen):
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for r in records:
                    seen[r.key.decode()] += 1
        # A short settle to catch duplicates.
        settle = time.monotonic() + 2
        while time.monotonic() < settle:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for r in records:
                    seen[r.key.decode()] += 1
    finally:
        await consumer.stop()
    return seen


async def open_ahead(replicas: list[Database], rooms: SferumRooms, n: int) -> float:
    """What RoomOpener does an hour before: two replicas, until every session has a room."""
    openers = [
        RoomOpener(db, rooms, SystemClock(), timedelta(hours=1), poll_seconds=0.2)
        for db in replicas
    ]
    started = time.perf_counter()
    tasks = [asyncio.create_task(o.run()) for o in openers]
    while sum(o.opened for o in openers) < n:  # noqa: ASYNC110 - sampling a counter to time it
        await asyncio.sleep(0.05)
    took = time.perf_counter() - started
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return took


async def burst(n: int, sferum_url: str, ahead: bool) -> dict[str, float | int | str]:
    name, url = await new_database()
    try:
        await asyncio.to_thread(migrate, url, MIGRATIONS)
        prefix = f"bench{uuid.uuid4().hex[:6]}."
        links_topic = prefix + topics.SESSION_LINKS
        await create_topic(links_topic)
        replicas = [Database(url), Database(url)]
        expected = await schedule_burst(replicas[0], n)
        rooms = SferumRooms(sferum_url)
        rooms_ahead = await open_ahead(replicas, rooms, n) if ahead else None
        links = JoinLinks("bench-secret", "http://127.0.0.1:8005")
        dispatchers = [Dispatcher(db, rooms, links, SystemClock()) for db in replicas]
        relays = [OutboxRelay(db, store.outbox, KAFKA, topic_prefix=prefix) for db in replicas]
        ready = asyncio.Event()
        counter = asyncio.create_task(count_until(links_topic, expected, ready))
        await ready.wait()
        started = time.perf_counter()
        tasks = [asyncio.create_task(w.run()) for w in (*dispatchers, *relays)]
        db_done: float | None = None
        while not counter.done():
            if db_done is None and sum(d.dispatched for d in dispatchers) >= n:
                db_done = time.perf_counter() - started
            await asyncio.sleep(0.05)
        seen = counter.result()
        on_kafka = time.perf_counter() - started - 2  # minus the settle
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for relay in relays:
            await relay.stop()
        await rooms.close()
        for db in replicas:
            await db.close()
        return {
            "n": n,
            "rooms": f"{rooms_ahead:.1f} (ahead)" if rooms_ahead is not None else "at T-15",
            "db": db_done or on_kafka,
            "kafka": on_kafka,
            "exactly_once": "yes" if set(seen.values()) == {1} and len(seen) == n else "NO",
            "split": "/".join(str(d.dispatched) for d in dispatchers),
        }
    finally:
        await drop_database(name)


async def baseline(n: int, size: int) -> float:
    topic = f"bench{uuid.uuid4().hex[:6]}.baseline"
    await create_topic(topic)
    producer = AIOKafkaProducer(
        bootstrap_servers=KAFKA, enable_idempotence=True, acks="all", linger_ms=2
    )
    await producer.start()
    payload = b"x" * size
    try:
        started = time.perf_counter()
        futures = [await producer.send(topic, payload, key=uuid.uuid4().bytes) for _ in range(n)]
        await asyncio.gather(*futures)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def main(sizes: list[int]) -> None:
    sferum, sferum_url = await start_sferum()
    lines = [
        "# Burst: sessions due in the same minute → every link dispatched",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} shared cores "
        f"(load average {os.getloadavg()[0]:.1f} at start). Two dispatchers + two outbox "
        "relays; rooms over HTTP from the Сферум simulator (its own process); rows inserted "
        "directly, not through booking.created. «rooms» is how the rooms were opened: ahead "
        "(the normal case, RoomOpener an hour before; its time shown) or at T-15 by the "
        "dispatcher itself (every booking made late: the worst case). Timed from the "
        "dispatchers' start. Baseline: raw aiokafka idempotent produce (acks=all) of N "
        "~900-byte messages, in the same run.",
        "",
        "| sessions | rooms (s) | all marked dispatched (s) | all link events on Kafka (s) "
        "| links/s | baseline: raw produce (s) | exactly once | split between dispatchers |",
        "|---:|:---|---:|---:|---:|---:|:---:|:---:|",
    ]
    runs = [(n, True) for n in sizes] + [(min(sizes), False)]
    try:
        for n, ahead in runs:
            r = await burst(n, sferum_url, ahead)
            floor = await baseline(n, 900)
            lines.append(
                f"| {n:,} | {r['rooms']} | {r['db']:.1f} | {r['kafka']:.1f} "
                f"| {n / float(r['kafka']):.0f} | {floor:.1f} | {r['exactly_once']} "
                f"| {r['split']} |"
            )
            print(lines[-1], flush=True)
    finally:
        sferum.terminate()
        await sferum.wait()
    text = "\n".join(lines) + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [1000, 5000, 10000]))
