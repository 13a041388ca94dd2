"""Reading what really arrived on a topic, waiting on the broker rather than sleeping."""

import asyncio
import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


@dataclass
class Received:
    key: str | None
    value: bytes
    headers: dict[str, str]
    partition: int
    offset: int


async def create_topics(bootstrap: str, *names: str, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [NewTopic(n, partitions, 1) for n in names if n not in existing]
        if new:
            await admin.create_topics(new)
    finally:
        await admin.close()


async def read_topic(
    bootstrap: str, topic: str, expect: int, timeout: float = 30, settle: float = 1.0
) -> list[Received]:
    """Everything on `topic` from the start: waits until `expect` messages came, then `settle`
    more seconds to catch extras (duplicates would show there), or until `timeout`."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    out: list[Received] = []
    deadline = time.monotonic() + timeout
    settle_until: float | None = None
    try:
        while time.monotonic() < deadline:
            if settle_until is None and len(out) >= expect:
                settle_until = time.monotonic() + settle
            if settle_until is not None and time.monotonic() >= settle_until:
                break
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for r in records:
                    out.append(
                        Received(
                            key=r.key.decode() if r.key else None,
                            value=r.value,
                            headers={k: v.decode() for k, v in (r.headers or ())},
                            partition=r.partition,
                            offset=r.offset,
                        )
                    )
    finally:
        await consumer.stop()
    return out


async def wait_until(predicate, timeout: float = 30, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll an async or sync predicate until it returns something truthy (state, not time)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


class TopicWatcher:
    """Collects everything on a topic from the start, in the background, while a test acts."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.received: list[Received] = []
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"test-watch-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "TopicWatcher":
        await self._consumer.start()
        self._task = asyncio.create_task(self._collect())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    async def _collect(self) -> None:
        async for r in self._consumer:
            self.received.append(
                Received(
                    key=r.key.decode() if r.key else None,
                    value=r.value,
                    headers={k: v.decode() for k, v in (r.headers or ())},
                    partition=r.partition,
                    offset=r.offset,
                )
            )

    async def wait_for(self, count: int, timeout: float = 60) -> list[Received]:
        await wait_until(lambda: len(self.received) >= count, timeout=timeout)
        return self.received
