"""What a service process runs besides its routes: database, consumers, outbox relay, Redis.

Start order: database, then the relay, then consumers. Stop order (SIGTERM, graceful): stop
consuming (in-flight messages finish and commit), then flush the relay, then close connections.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Table

from psy_platform.auth import JwksVerifier
from psy_platform.cache import connect_redis
from psy_platform.consumers import EventConsumers, make_broker
from psy_platform.db import Database
from psy_platform.kafka_admin import ensure_topics
from psy_platform.outbox import OutboxRelay
from psy_platform.settings import ServiceSettings

log = logging.getLogger(__name__)


class ServiceRuntime:
    def __init__(
        self,
        name: str,
        settings: ServiceSettings,
        outbox: Table | None,
        processed: Table | None,
        use_redis: bool = True,
    ) -> None:
        self.name = name
        self.settings = settings
        self.db = Database(settings.database_url, pool_size=settings.database_pool_size)
        self.broker = make_broker(settings.kafka_bootstrap_servers, client_id=f"psy-{name}")
        self.consumers = (
            EventConsumers(
                self.broker,
                self.db,
                processed,
                topic_prefix=settings.kafka_topic_prefix,
                max_attempts=settings.consumer_max_attempts,
            )
            if processed is not None
            else None
        )
        self.relay = (
            OutboxRelay(
                self.db,
                outbox,
                settings.kafka_bootstrap_servers,
                topic_prefix=settings.kafka_topic_prefix,
                batch_size=settings.outbox_batch_size,
                poll_seconds=settings.outbox_poll_seconds,
            )
            if outbox is not None
            else None
        )
        self.redis = connect_redis(settings.redis_url) if use_redis else None
        self.verifier = JwksVerifier(settings.jwks_url, settings.jwt_issuer, settings.jwt_audience)
        self.workers: list[Callable[[], Coroutine[Any, Any, None]]] = []
        # Topics this service reads or writes; created at start outside production.
        self.topics: list[str] = []
        self._tasks: list[asyncio.Task[Any]] = []

    def checks(self) -> dict[str, Callable[[], Awaitable[object]]]:
        checks: dict[str, Callable[[], Awaitable[object]]] = {"postgres": self.db.ping}
        if self.consumers is not None or self.relay is not None:
            checks["kafka"] = self._kafka_ping
        if self.redis is not None:
            checks["redis"] = self.redis.ping
        return checks

    async def _kafka_ping(self) -> None:
        if not await self.broker.ping(timeout=2):
            raise ConnectionError("kafka unreachable")

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = self
        app.state.verifier = self.verifier
        if self.relay is not None:
            self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        for worker in self.workers:
            self._tasks.append(asyncio.create_task(worker(), name=getattr(worker, "__name__", "w")))
        if self.consumers is not None:
            await self._start_broker()
        try:
            yield
        finally:
            await self.shutdown()

    async def _start_broker(self) -> None:
        # Kafka may be down at start: the service still serves reads; consumers join when it's back.
        async def start() -> None:
            delay = 1.0
            while True:
                try:
                    if self.settings.env != "production" and self.topics:
                        await ensure_topics(
                            self.settings.kafka_bootstrap_servers,
                            [self.settings.topic(t) for t in self.topics],
                        )
                    await self.broker.start()
                    return
                except Exception as exc:
                    log.warning("kafka not reachable (%s); retrying in %.0fs", exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10)

        self._tasks.append(asyncio.create_task(start(), name="broker-start"))

    async def shutdown(self) -> None:
        try:
            # Bounded: a consumer stuck leaving its group must not keep the pod from stopping.
            # Uncommitted offsets are redelivered to the next replica, whose handlers dedupe.
            await asyncio.wait_for(self.broker.stop(), 15)
        except TimeoutError:
            log.warning("%s: consumers did not stop in 15 s; offsets left uncommitted", self.name)
        except Exception as exc:
            log.warning("%s: stopping consumers: %s", self.name, exc)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.relay is not None:
            await self.relay.stop()
            log.info("%s stopped: consumers closed, outbox flushed", self.name)
        if self.redis is not None:
            await self.redis.aclose()
        await self.db.close()
