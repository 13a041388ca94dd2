"""Print the booking events of «Цифровой психолог» as they arrive.

    uv run python examples/consumer/consume.py                  # from the workspace venv
    uv run --project examples/consumer python examples/consumer/consume.py

One line per booking event: its type, the booking id and the consultation's times. Follows the
consumer guide (docs/events.md): offsets committed after handling, duplicates skipped by event
id, unknown event types skipped, an unreadable message reported and passed over.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import OrderedDict

from aiokafka import AIOKafkaConsumer
from psy_contracts import CloudEvent, parse_event
from psy_contracts.topics import BOOKING
from pydantic import ValidationError

SEEN_LIMIT = (
    100_000  # event ids remembered for deduplication (a real consumer keeps them in its DB)
)


def describe(event: CloudEvent) -> str:
    """`booking.created booking=… starts_at=… ends_at=…`: what the event says happened."""
    data = event.payload()
    kind = ".".join(event.type.split(".")[-3:-1])
    parts = [kind, f"booking={data.booking_id}"]  # type: ignore[attr-defined]
    for field in ("starts_at", "ends_at"):
        if (value := getattr(data, field, None)) is not None:
            parts.append(f"{field}={value.isoformat()}")
    parts.append(f"at={event.time.isoformat()}")
    return " ".join(parts)


async def consume(bootstrap: str, topic: str, group: str, max_events: int | None) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    seen: OrderedDict[str, None] = OrderedDict()
    printed = 0
    await consumer.start()
    try:
        async for message in consumer:
            try:
                event = parse_event(message.value)
                line = describe(event)
            except KeyError:
                line = None  # an event type newer than this contract version: not ours to read
            except (ValidationError, ValueError) as exc:
                print(f"unreadable message at offset {message.offset}: {exc}", file=sys.stderr)
                line = None
            else:
                if str(event.id) in seen:
                    line = None  # a redelivery: at-least-once means duplicates happen
                seen[str(event.id)] = None
                if len(seen) > SEEN_LIMIT:
                    seen.popitem(last=False)
            if line is not None:
                print(line, flush=True)
                printed += 1
            await consumer.commit()
            if max_events is not None and printed >= max_events:
                return
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Print booking events")
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--topic", default=BOOKING)
    parser.add_argument("--group", default="example-booking-printer")
    parser.add_argument("--max-events", type=int, help="stop after printing this many")
    args = parser.parse_args()
    try:
        asyncio.run(consume(args.bootstrap, args.topic, args.group, args.max_events))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
