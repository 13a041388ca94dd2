"""E-mail throughput: notify's sender worker into the SMTP sink, next to a raw aiosmtplib loop.

    source .stack/env && uv run python -m bench.mail [--emails 1000] [--batch 50] [--quick]
    (or through the harness: uv run python -m bench mail)

What is measured, in one run against the same sink:
  * raw      — one aiosmtplib connection, send_message in a loop (the ceiling for this sink);
  * sender×1 — EmailSender.deliver_due() until the queue is empty: claim (lease, SKIP LOCKED),
               SMTP send over one reused connection per batch, mark sent + stage
               notification.delivered in its own transaction per e-mail;
  * sender×2 — two EmailSender instances (as two replicas) draining one queue.
The queue is filled by direct INSERTs of rendered confirmation e-mails (with .ics), so the
consumer side is not part of the figure. Recipients are unique to this run; the sink is not
cleared (other people's tests use it). Prints Markdown and writes bench/out/mail.md.
"""

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib
import httpx
from psy_notify import domain, ics, mail_queue
from psy_notify.app import MIGRATIONS
from psy_notify.config import NotifySettings
from psy_notify.messages import render
from psy_notify.sender import EmailSender, build_message
from psy_platform.db import Database
from psy_platform.migrations import migrate

from bench.procs import drop_database, sa_url

OUT = Path(__file__).resolve().parent / "out" / "mail.md"


def sample_email(run: str, n: int, lane: str) -> dict[str, object]:
    starts = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
    booking = domain.Booking(
        booking_id=uuid.uuid4(),
        psychologist_id=uuid.uuid4(),
        booked_by=uuid.uuid4(),
        participant_id=uuid.uuid4(),
        participant_kind="child",
        format="video",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=50),
        timezone="Europe/Samara",
        place=None,
    )
    tz = domain.zone("Europe/Samara", "UTC")
    letter = render(
        "confirmed",
        {
            "name": "Анна Петрова", "part": "client", "format": "video",
            "format_title": "Видео", "when": domain.local_time(starts, tz), "ends": "15:20",
            "place": None, "psychologist_name": "Мария Смирнова", "client_name": "Анна Петрова",
            "participant_name": "Петя Петров", "portal_url": "http://127.0.0.1:8000",
            "my_bookings_url": "http://127.0.0.1:8000/bookings", "topics": ["Тревожность"],
            "comment": None, "cancelled_by": None, "reason": None, "old_when": None,
            "join_url": None, "was_absent": False,
        },
    )  # fmt: skip
    address = f"bench-{run}-{lane}-{n}@example.ru"
    cause = uuid.uuid4()
    recipient = uuid.uuid4()
    return {
        "cause_event_id": cause,
        "recipient_id": recipient,
        "to_address": address,
        "subject": letter.subject,
        "text_body": letter.text,
        "html_body": letter.html,
        "ics": ics.calendar(booking, "REQUEST", "no-reply@psy.edu.ru", address),
        "ics_method": "REQUEST",
        "message_id": domain.message_id(cause, recipient),
    }


async def fill_queue(db: Database, emails: list[dict[str, object]]) -> None:
    async with db.transaction() as session:
        for values in emails:
            await mail_queue.enqueue(session, **values)  # type: ignore[arg-type]


async def drain(db: Database, settings: NotifySettings, workers: int, total: int) -> float:
    senders = [EmailSender(db, settings) for _ in range(workers)]

    async def work(sender: EmailSender) -> None:
        while await sender.deliver_due():
            pass

    started = time.perf_counter()
    await asyncio.gather(*(work(s) for s in senders))
    elapsed = time.perf_counter() - started
    sent = sum(s.sent for s in senders)
    assert sent == total, f"sent {sent} of {total}"
    return elapsed


async def raw_loop(settings: NotifySettings, emails: list[dict[str, object]]) -> float:
    messages = [
        build_message(mail_queue.QueuedEmail(id=uuid.uuid4(), attempts=0, **e), settings.mail_from)  # type: ignore[arg-type]
        for e in emails
    ]
    smtp = aiosmtplib.SMTP(hostname=settings.smtp_host, port=settings.smtp_port, start_tls=False)
    await smtp.connect()
    started = time.perf_counter()
    for message in messages:
        await smtp.send_message(message)
    elapsed = time.perf_counter() - started
    await smtp.quit()
    return elapsed


async def sink_count(url: str, run: str) -> int:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        listed = (await client.get("/messages")).json()
    return sum(1 for m in listed if any(f"bench-{run}-" in t for t in m["to"]))


async def main(quick: bool = False, total: int = 1000, batch: int = 50) -> str:
    """The harness entry point (bench/__main__.py): returns the Markdown section."""
    if quick:
        total = 50
    sink_url = os.environ.get("SMTP_SINK_URL", "http://127.0.0.1:8025")
    run = uuid.uuid4().hex[:8]
    name = f"bench_notify_{run}"
    url = sa_url(name)
    await asyncio.to_thread(migrate, url, MIGRATIONS)
    settings = NotifySettings(
        database_url=url,
        smtp_host=os.environ.get("SMTP_HOST", "127.0.0.1"),
        smtp_port=int(os.environ.get("SMTP_PORT", "1025")),
        sender_batch_size=batch,
    )
    db = Database(url, pool_size=4)
    rows: list[tuple[str, int, float]] = []
    try:
        raw_emails = [sample_email(run, i, "raw") for i in range(total)]
        rows.append(
            ("raw aiosmtplib loop (1 connection)", total, await raw_loop(settings, raw_emails))
        )
        for workers in (1, 2):
            lane = f"s{workers}"
            await fill_queue(db, [sample_email(run, i, lane) for i in range(total)])
            label = f"notify sender ×{workers} (batch {batch}, mark sent + event per e-mail)"
            rows.append((label, total, await drain(db, settings, workers, total)))
        arrived = await sink_count(sink_url, run)
    finally:
        await db.close()
        await drop_database(name)
    ceiling = rows[0][1] / rows[0][2]
    lines = [
        "## email — notify's sender into the SMTP sink, next to a raw aiosmtplib loop",
        "",
        f"Run {run}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {total} e-mails per row, each a "
        "rendered confirmation (text + HTML + .ics, ~10 KB); local SMTP sink (aiosmtpd) and "
        "PostgreSQL on the same 2-core machine, shared with other work.",
        "",
        "| what | e-mails | seconds | e-mails/s | vs raw |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, count, seconds in rows:
        rate = count / seconds
        lines.append(f"| {label} | {count} | {seconds:.2f} | {rate:.0f} | {rate / ceiling:.0%} |")
    lines += ["", f"Arrived at the sink for this run: {arrived} (expected {3 * total})."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="50 e-mails: a smoke run")
    args = parser.parse_args()
    report = asyncio.run(main(args.quick, args.emails, args.batch))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report, encoding="utf-8")
    print(report)
