"""Burst benchmark: N consultations due in the same minute → seconds until every link is out,
and until every link e-mail is at the sink and every inbox row exists.

    cd /work/main && source .stack/env && uv run python -m bench burst [--quick]
    uv run python -m bench.burst [--quick] [1000 5000 10000]   # writes bench/out/burst.md

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

Delivery (the «ahead» runs): a notify process of our own (`python -m psy_notify`,
same topic prefix) consumes the link events; its contact and booking replicas are inserted
directly, as the sessions rows are. Its e-mails go to a private timestamping sink
(bench/sink.py); next to it, the raw accept rate of that sink (one aiosmtplib connection).
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

from bench.mail import raw_loop, sample_email
from bench.procs import KAFKA, Services, create_database, drop_database, raw_url, sa_url
from bench.sink import Sink

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


async def create_topic(name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, PARTITIONS, 1)])
    finally:
        await admin.close()


async def schedule_burst(db: Database, n: int, made: list[dict] | None = None) -> set[str]:
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
    if made is not None:
        made.extend(rows)
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


async def burst(
    n: int, sferum_url: str, ahead: bool, sink: Sink | None = None, cap: float = 240
) -> dict[str, float | int | str]:
    name = f"bench_sessions_{uuid.uuid4().hex[:8]}"
    await create_database(name)
    url = sa_url(name)
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    services = Services("http://127.0.0.1:9/unused", prefix=prefix)
    try:
        await asyncio.to_thread(migrate, url, MIGRATIONS)
        links_topic = prefix + topics.SESSION_LINKS
        await create_topic(links_topic)
        replicas = [Database(url), Database(url)]
        made: list[dict] = []
        expected = await schedule_burst(replicas[0], n, made)
        if sink is not None:  # notify of our own, reading the link events of this burst
            notify = await services.start("notify", smtp_port=str(sink.port))
            await seed_notify(raw_url(notify.database or ""), made, prefix)
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
        delivered = await deliveries(sink, services, made, prefix, started, cap) if sink else {}
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
            **delivered,
        }
    finally:
        await services.stop()
        await drop_database(name)


async def seed_notify(url: str, made: list[dict], prefix: str) -> None:
    """What identity's and booking's events would have left in notify's replicas: contacts
    (parent and psychologist with an e-mail, the child without: inbox only) and the bookings."""
    conn = await asyncpg.connect(url)
    try:
        contacts = []
        for r in made:
            contacts += [
                (r["booked_by"], "parent", "Анна Петрова", f"{r['booked_by'].hex}@{prefix}test"),
                (r["participant_id"], "child", "Петя Петров", None),
                (r["psychologist_id"], "psychologist", "Мария Смирнова",
                 f"{r['psychologist_id'].hex}@{prefix}test"),
            ]  # fmt: skip
        await conn.copy_records_to_table(
            "contact",
            columns=["account_id", "role", "full_name", "email", "timezone"],
            records=[(*c, "Europe/Samara") for c in contacts],
        )
        await conn.copy_records_to_table(
            "booking",
            columns=["booking_id", "psychologist_id", "booked_by", "participant_id",
                     "participant_kind", "format", "starts_at", "ends_at", "timezone",
                     "status", "ics_sequence"],
            records=[
                (r["booking_id"], r["psychologist_id"], r["booked_by"], r["participant_id"],
                 "child", "video", r["starts_at"], r["ends_at"], "Europe/Samara", "confirmed", 0)
                for r in made
            ],
        )  # fmt: skip
    finally:
        await conn.close()


async def deliveries(
    sink: Sink, services: Services, made: list[dict], prefix: str, started: float, cap: float
) -> dict[str, float | int | str]:
    """From the dispatchers' start until every link e-mail is at the sink (parent and
    psychologist) and every inbox row exists (the child too); gives up after `cap` seconds."""
    wanted = {f"{r[k].hex}@{prefix}test" for r in made for k in ("booked_by", "psychologist_id")}
    inbox_wanted = 3 * len(made)
    conn = await asyncpg.connect(raw_url(services.started["notify"].database or ""))
    try:
        inbox = 0
        mail_done = inbox_done = None
        while time.perf_counter() - started < cap:
            sink.read()
            if mail_done is None and wanted <= sink.arrivals.keys():
                mail_done = time.perf_counter() - started
            if inbox_done is None:
                inbox = await conn.fetchval("SELECT count(*) FROM inbox_message")
                if inbox >= inbox_wanted:
                    inbox_done = time.perf_counter() - started
            if mail_done is not None and inbox_done is not None:
                break
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        await conn.close()
    mails = len(wanted & sink.arrivals.keys())
    return {
        "mails": mails, "mails_wanted": len(wanted), "inbox": inbox, "inbox_wanted": inbox_wanted,
        "mail_s": mail_done if mail_done is not None else float("nan"),
        "inbox_s": inbox_done if inbox_done is not None else float("nan"),
        "elapsed": elapsed,
    }  # fmt: skip


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


async def raw_smtp(sink: Sink, n: int) -> float:
    """Seconds for one aiosmtplib connection to hand `n` rendered e-mails to the same sink."""
    from psy_notify.config import NotifySettings

    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=sink.port)
    emails = [sample_email(f"raw{uuid.uuid4().hex[:6]}", i, "raw") for i in range(n)]
    return await raw_loop(settings, emails)


async def main(quick: bool = False, sizes: list[int] | None = None) -> str:
    """The harness entry point: returns the Markdown section (quick: 30 sessions, no T-15 run)."""
    sizes = sizes or ([30] if quick else [1000, 5000, 10000])
    cap = 60.0 if quick else 180.0
    sferum, sferum_url = await start_sferum()
    lines = [
        "## burst — sessions due in the same minute → every link dispatched and delivered",
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
        "Delivery: a notify process of our own (one sender worker) consumes the link events; its "
        "contacts and booking replicas are inserted directly (parent and psychologist have an "
        "e-mail, the child has not: inbox only), so each session means 2 e-mails and 3 inbox "
        "rows. E-mails go to a private timestamping SMTP sink (own process). "
        f"Capped at {cap:.0f} s "
        "from the dispatchers' start; past the cap the rate so far is extrapolated.",
        "",
        "| sessions | rooms (s) | all marked dispatched (s) | all link events on Kafka (s) "
        "| links/s | baseline: raw produce (s) | exactly once | split between dispatchers "
        "| every e-mail at sink (s) | every inbox row (s) |",
        "|---:|:---|---:|---:|---:|---:|:---:|:---:|---:|---:|",
    ]
    runs = [(n, True) for n in sizes] + ([] if quick else [(min(sizes), False)])
    notes = []
    try:
        async with Sink(Path(__file__).parent / "out") as sink:
            raw_n = 30 if quick else 1000
            raw_s = await raw_smtp(sink, raw_n)
            for n, ahead in runs:
                r = await burst(n, sferum_url, ahead, sink if ahead else None, cap)
                floor = await baseline(n, 900)
                mail = inbox = "–"
                if "mails" in r:
                    mail = _done(r["mail_s"], r["mails"], r["mails_wanted"], r["elapsed"])
                    inbox = _done(r["inbox_s"], r["inbox"], r["inbox_wanted"], r["elapsed"])
                    notes.append(
                        f"{n:,} sessions: {r['mails']}/{r['mails_wanted']} e-mails, "
                        f"{r['inbox']}/{r['inbox_wanted']} inbox rows in "
                        f"{float(r['elapsed']):.0f} s"
                        f" ({int(r['mails']) / float(r['elapsed']):.0f} e-mails/s end to end)."
                    )
                lines.append(
                    f"| {n:,} | {r['rooms']} | {r['db']:.1f} | {r['kafka']:.1f} "
                    f"| {n / float(r['kafka']):.0f} | {floor:.1f} | {r['exactly_once']} "
                    f"| {r['split']} | {mail} | {inbox} |"
                )
                print(lines[-1], file=sys.stderr, flush=True)
    finally:
        sferum.terminate()
        await sferum.wait()
    lines += [
        "",
        f"Raw SMTP-sink accept rate in the same run (one aiosmtplib connection, {raw_n} rendered "
        f"~10 KB confirmation e-mails, same private sink): **{raw_n / raw_s:.0f} e-mails/s**.",
        "",
        *(f"- {x}" for x in notes),
        "",
        _verdict(lines, sizes),
    ]
    return "\n".join(lines) + "\n"


def _done(seconds: object, got: object, wanted: object, elapsed: object) -> str:
    if got == wanted:
        return f"{float(seconds):.1f}"  # type: ignore[arg-type]
    rate = int(got) / float(elapsed)  # type: ignore[arg-type]
    guess = int(wanted) / rate if rate else float("inf")  # type: ignore[arg-type]
    return f"not done: {got}/{wanted} at cap; ≈{guess:.0f} extrapolated"


def _verdict(lines: list[str], sizes: list[int]) -> str:
    row = next((x for x in lines if x.startswith(f"| {max(sizes):,} |")), "")
    cells = [c.strip() for c in row.strip("|").split("|")]
    try:
        worst = max(float(cells[3]), float(cells[8]), float(cells[9]))
    except (IndexError, ValueError):
        return f"**Target {max(sizes):,} in ≤ 60 s (links + e-mails + inbox): MISSED** (see row)."
    met = "MET" if worst <= 60 else "MISSED"
    return f"**Target {max(sizes):,} in ≤ 60 s (links + e-mails + inbox): {met}** ({worst:.0f} s)."


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:] if a.isdigit()]
    text = asyncio.run(main("--quick" in sys.argv, sizes or None))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(text)
