"""Kafka consumers with an explicit delivery policy.

Each message is handled in one database transaction together with the record of its event id,
and the offset is committed only after that transaction (FastStream's ACK, never ACK_FIRST).
A fault of our own infrastructure (PostgreSQL away) is retried without limit; any other failure is
retried `max_attempts` times, then the message goes to `<topic>.dlq.<group>` with the error in its
headers and the consumer moves on. An unparseable message goes there at once.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from psy_contracts import CloudEvent, parse_event
from psy_contracts.topics import dead_letter
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from psy_platform.db import Database
from psy_platform.processed import first_time

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


class Unprocessable(Exception):
    """Raised by a handler for an event it can never handle (goes straight to the DLQ)."""


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def make_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    # Per-message "Received/Processed" lines at DEBUG: the effects log what matters.
    return KafkaBroker(bootstrap_servers, client_id=client_id, logger=log, log_level=logging.DEBUG)


class EventConsumers:
    """Registers idempotent subscribers on a broker for one service."""

    def __init__(
        self,
        broker: KafkaBroker,
        db: Database,
        processed: Table,
        topic_prefix: str = "",
        max_attempts: int = 3,
        retry_delay: float = 0.2,
    ) -> None:
        self.broker = broker
        self._db = db
        self._processed = processed
        self._prefix = topic_prefix
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self.handled = 0
        self.dead_lettered = 0

    def subscribe(self, topic: str, group: str, handler: Handler) -> None:
        """`handler(session, event)` runs inside the transaction that records the event id."""
        full_topic = self._prefix + topic
        dlq = self._prefix + dead_letter(topic, group)

        async def consume(message: KafkaMessage) -> None:
            await self._consume(message, group, full_topic, dlq, handler)

        self.broker.subscriber(
            full_topic,
            # One Kafka group per (service, topic): members reading different topics never wait
            # on each other's rebalances. `group` stays the logical name (DLQ, processed ids).
            group_id=f"{group}.{full_topic}",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            title=f"{group}:{topic}",
        )(consume)

    async def _consume(
        self, message: KafkaMessage, group: str, topic: str, dlq: str, handler: Handler
    ) -> None:
        raw: bytes = message.body
        try:
            event = parse_event(raw)
        except (ValidationError, KeyError, ValueError) as exc:
            await self._dead_letter(message, dlq, group, topic, exc, attempts=0)
            return
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with self._db.transaction() as session:
                    if await first_time(session, self._processed, group, event.id):
                        await handler(session, event)
                self.handled += 1
                return
            except Unprocessable as exc:
                await self._dead_letter(message, dlq, group, topic, exc, attempts=attempt)
                return
            except Exception as exc:
                if _is_transient(exc):
                    # Our own store is away: leave the offset, FastStream seeks back, we retry.
                    log.warning("consumer %s: transient failure, will redeliver: %s", group, exc)
                    await asyncio.sleep(1.0)
                    raise
                log.warning(
                    "consumer %s: event %s failed (attempt %d/%d): %r",
                    group,
                    event.id,
                    attempt,
                    self._max_attempts,
                    exc,
                )
                last = exc
                await asyncio.sleep(self._retry_delay * attempt)
        await self._dead_letter(message, dlq, group, topic, last, attempts=self._max_attempts)

    async def _dead_letter(
        self,
        message: KafkaMessage,
        dlq: str,
        group: str,
        topic: str,
        exc: BaseException,
        attempts: int,
    ) -> None:
        record: Any = message.raw_message
        headers = {
            "x-error": str(exc)[:1000],
            "x-error-type": type(exc).__name__,
            "x-attempts": str(attempts),
            "x-original-topic": topic,
            "x-original-partition": str(getattr(record, "partition", "")),
            "x-original-offset": str(getattr(record, "offset", "")),
            "x-consumer-group": group,
        }
        await self.broker.publish(
            message.body, topic=dlq, key=getattr(record, "key", None), headers=headers
        )
        self.dead_lettered += 1
        log.error("consumer %s: message sent to %s: %s", group, dlq, headers["x-error"])
