"""The two statements of a booking, written for few round trips (BEGIN, these two, COMMIT).

1. `open_booking`: claim the Idempotency-Key, take the participant's lock, and read everything
   the rules need from the replicas, in one statement.
2. `insert_booking_once`: count the participant's active bookings and insert the booking only
   while under the limit, with its outbox row and the relay's wake-up, in one statement.

Why two and not one: the count must be read after the lock is held. In READ COMMITTED each
statement reads a fresh snapshot, so statement 2 sees every booking that a concurrent request
for the same participant committed before it released the lock in statement 1.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psy_contracts import CloudEvent
from psy_contracts.registry import topic_of
from psy_platform.outbox import NOTIFY_CHANNEL, lane_of
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from psy_booking.domain import Account, Family, Slot
from psy_booking.repository import PARTICIPANT_LOCK, slot_of

_OPEN = text(
    """
    WITH claimed AS (
        INSERT INTO idempotency_key (caller_id, key, request_hash, booking_id)
        VALUES (CAST(:caller AS uuid), :key, :hash, CAST(:booking AS uuid))
        ON CONFLICT DO NOTHING
        RETURNING booking_id
    )
    SELECT (SELECT count(*) FROM claimed) AS claimed,
           k.request_hash AS earlier_hash, k.booking_id AS earlier_booking,
           pg_advisory_xact_lock(:lock_ns, hashtext(:participant_text)) IS NULL AS locked,
           s.id, s.psychologist_id, s.starts_at, s.ends_at, s.timezone, s.formats, s.place,
           s.withdrawn, p.topics AS psychologist_topics,
           ca.role AS caller_role, ca.birth_date AS caller_birth,
           pa.role AS participant_role, pa.birth_date AS participant_birth,
           EXISTS (SELECT 1 FROM family_link f
                   WHERE f.parent_id = CAST(:caller AS uuid)
                     AND f.child_id = CAST(:participant AS uuid)) AS linked,
           EXISTS (SELECT 1 FROM family_link f
                   WHERE f.child_id = CAST(:caller AS uuid)) AS caller_has_parent,
           EXISTS (SELECT 1 FROM booking b
                   WHERE b.slot_id = CAST(:slot AS uuid) AND b.status = 'confirmed') AS taken
    FROM (SELECT 1) AS one
    LEFT JOIN idempotency_key k ON k.caller_id = CAST(:caller AS uuid) AND k.key = :key
    LEFT JOIN slot s ON s.id = CAST(:slot AS uuid)
    LEFT JOIN psychologist p ON p.id = s.psychologist_id
    LEFT JOIN account ca ON ca.id = CAST(:caller AS uuid)
    LEFT JOIN account pa ON pa.id = CAST(:participant AS uuid)
    """
)

_EARLIER = text(
    "SELECT request_hash, booking_id FROM idempotency_key"
    " WHERE caller_id = CAST(:caller AS uuid) AND key = :key"
)


@dataclass(frozen=True)
class Opened:
    earlier: tuple[str, uuid.UUID] | None  # the key was used before: (request hash, booking)
    slot: Slot | None
    psychologist_topics: set[str]
    family: Family
    taken: bool


async def open_booking(
    session: AsyncSession,
    caller: uuid.UUID,
    key: str,
    request_hash: str,
    booking_id: uuid.UUID,
    slot_id: uuid.UUID,
    participant: uuid.UUID,
) -> Opened:
    row = (
        await session.execute(
            _OPEN,
            {
                "caller": str(caller),
                "key": key,
                "hash": request_hash,
                "booking": str(booking_id),
                "slot": str(slot_id),
                "participant": str(participant),
                "participant_text": str(participant),
                "lock_ns": PARTICIPANT_LOCK,
            },
        )
    ).one()
    earlier = None
    if not row.claimed:
        if row.earlier_hash is not None:
            earlier = (row.earlier_hash, row.earlier_booking)
        else:
            # The key was claimed by a concurrent request that committed while this statement
            # waited; its snapshot predates that row, a new statement sees it.
            found = (await session.execute(_EARLIER, {"caller": str(caller), "key": key})).one()
            earlier = (found.request_hash, found.booking_id)
    family = Family(
        caller=Account(caller, row.caller_role, row.caller_birth) if row.caller_role else None,
        participant=(
            Account(participant, row.participant_role, row.participant_birth)
            if row.participant_role
            else None
        ),
        participant_is_callers_child=row.linked,
        caller_has_parent=row.caller_has_parent,
    )
    return Opened(
        earlier=earlier,
        slot=slot_of(row),
        psychologist_topics=set(row.psychologist_topics or ()),
        family=family,
        taken=row.taken,
    )


_INSERT = text(
    """
    WITH active AS (
        SELECT count(*) AS n FROM booking
        WHERE participant_id = CAST(:participant_id AS uuid) AND status = 'confirmed'
          AND starts_at > CAST(:now AS timestamptz)
    ), made AS (
        INSERT INTO booking (id, slot_id, psychologist_id, booked_by, participant_id,
                             participant_kind, format, topics, comment, starts_at, ends_at,
                             timezone, place, status)
        SELECT CAST(:id AS uuid), CAST(:slot_id AS uuid), CAST(:psychologist_id AS uuid),
               CAST(:booked_by AS uuid), CAST(:participant_id AS uuid),
               CAST(:participant_kind AS text),
               CAST(:format AS text), CAST(:topics AS text[]), CAST(:comment AS text),
               CAST(:starts_at AS timestamptz), CAST(:ends_at AS timestamptz),
               CAST(:timezone AS text), CAST(:place AS text), CAST(:status AS text)
        FROM active WHERE active.n < CAST(:limit AS bigint)
        RETURNING *
    ), staged AS (
        INSERT INTO outbox (event_id, topic, key, lane, payload)
        SELECT CAST(:event_id AS uuid), CAST(:topic AS text), CAST(:event_key AS text),
               CAST(:lane AS smallint), CAST(:payload AS bytea) FROM made
    )
    SELECT made.*, pg_notify(:channel, '') IS NULL AS notified FROM made
    """
)


async def insert_booking_once(
    session: AsyncSession, values: dict[str, Any], now: datetime, limit: int, event: CloudEvent
) -> Row[Any] | None:
    """The new booking row, or None when the participant is at the active-bookings limit.
    A taken slot raises IntegrityError from the partial unique index."""
    params = {
        **{k: str(v) if isinstance(v, uuid.UUID) else v for k, v in values.items()},
        "now": now,
        "limit": limit,
        "event_id": str(event.id),
        "topic": topic_of(event.type),
        "event_key": event.subject,
        "lane": lane_of(event.subject),
        "payload": event.to_json(),
        "channel": NOTIFY_CHANNEL,
    }
    return (await session.execute(_INSERT, params)).first()
