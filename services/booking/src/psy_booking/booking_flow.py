"""Making a booking: every rule of ARCHITECTURE §4, idempotent under an Idempotency-Key.

One transaction of two statements (fast_path.py): claim the key, lock the participant and read
the replicas; check the rules; insert under the limit with booking.created in the outbox (the
partial unique index is the last word on the slot). A refusal raises before commit, so nothing
is stored and nothing is published.
"""

import asyncio
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from psy_contracts import new_event
from psy_contracts.events.booking import BookingCreated
from psy_platform.auth import Principal
from sqlalchemy.exc import IntegrityError

from psy_booking import domain
from psy_booking.context import UseCases, local_day
from psy_booking.domain import Refusal, Status
from psy_booking.fast_path import insert_booking_once, open_booking
from psy_booking.repository import load_booking
from psy_booking.store import ACTIVE_SLOT_INDEX

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class BookingRequest:
    slot_id: uuid.UUID
    format: str
    topics: list[str]
    participant_id: uuid.UUID | None = None
    comment: str | None = None
    hold_id: uuid.UUID | None = None  # informative: the caller's own hold is honoured either way

    def fingerprint(self, caller: uuid.UUID) -> str:
        """What makes two requests "the same" for an idempotent retry (the hold may change)."""
        canonical = {
            "slot_id": str(self.slot_id),
            "format": self.format,
            "topics": sorted(set(self.topics)),
            "participant_id": str(self.participant_id or caller),
            "comment": (self.comment or "").strip() or None,
        }
        return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Booked:
    row: Any
    replayed: bool  # True when an earlier request with the same key made it


def idempotency_key(raw: str | None) -> str:
    key = (raw or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Refusal("idempotency_key_required")
    return key


async def book(uc: UseCases, user: Principal, raw_key: str | None, req: BookingRequest) -> Booked:
    key = idempotency_key(raw_key)
    domain.may_book_at_all(user.role)
    rules, now = uc.rules, uc.clock()
    participant = req.participant_id or user.id
    booking_id = uuid.uuid4()
    fingerprint = req.fingerprint(user.id)
    # The hold lives in Redis: ask it while PostgreSQL answers the first statement. It is its
    # own task and never touches the session, so a failure on either side cannot leave the
    # transaction half-used.
    hold_lookup = asyncio.ensure_future(uc.holds.holder_of(req.slot_id))
    hold_lookup.add_done_callback(lambda t: t.cancelled() or t.exception())  # never "unretrieved"
    try:
        async with uc.db.transaction() as session:
            opened = await open_booking(
                session, user.id, key, fingerprint, booking_id, req.slot_id, participant
            )
            hold = await hold_lookup
            if opened.earlier is not None:
                earlier_hash, earlier_id = opened.earlier
                if earlier_hash != fingerprint:
                    raise Refusal("idempotency_key_reused")
                return Booked(await load_booking(session, earlier_id), replayed=True)
            if hold is not None and hold.holder != user.id:
                raise Refusal("slot_held")
            slot = domain.slot_bookable(opened.slot, now, rules)
            if opened.taken:
                raise Refusal("slot_taken")
            domain.format_offered(slot, req.format)
            values = {
                "id": booking_id,
                "slot_id": slot.id,
                "psychologist_id": slot.psychologist_id,
                "booked_by": user.id,
                "participant_id": participant,
                "participant_kind": domain.participant_kind(
                    user.id, user.role, opened.family, local_day(now, slot.timezone), rules
                ),
                "format": req.format,
                "topics": domain.known_topics(req.topics, opened.psychologist_topics),
                "comment": domain.comment_fits(req.comment, rules),
                "starts_at": slot.starts_at,
                "ends_at": slot.ends_at,
                "timezone": slot.timezone,
                "place": slot.place,
                "status": Status.CONFIRMED.value,
            }
            event = new_event(created_event(values), booking_id)
            row = await insert_booking_once(session, values, now, rules.active_limit, event)
            if row is None:
                raise Refusal("active_limit_reached")
    except IntegrityError as exc:
        if ACTIVE_SLOT_INDEX in str(exc.orig):
            raise Refusal("slot_taken") from exc
        raise
    finally:
        if not hold_lookup.done():
            hold_lookup.cancel()
    if hold is not None:
        # The reservation has done its job; if this fails the TTL ends it anyway.
        await uc.holds.release(user.id, slot_id=req.slot_id)
    return Booked(row, replayed=False)


def created_event(booking: dict[str, Any]) -> BookingCreated:
    return BookingCreated(
        booking_id=booking["id"],
        **{k: booking[k] for k in _CREATED_FIELDS},
    )


_CREATED_FIELDS = (
    *("slot_id", "psychologist_id", "booked_by", "participant_id", "participant_kind"),
    *("format", "topics", "comment", "starts_at", "ends_at", "timezone", "place"),
)
