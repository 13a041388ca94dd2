"""After the end plus a grace period: attended, or «пропуск консультации», once per booking.

Only online consultations are decided here: an in-person one has no door through the service,
so sessions cannot see who came and leaves that outcome to booking / the psychologist.
"""

import asyncio
import logging
from datetime import timedelta

from psy_contracts.events.sessions import Attended, Missed
from psy_platform.db import Database
from psy_platform.outbox import stage
from sqlalchemy import update

from psy_sessions import store
from psy_sessions.clock import Clock
from psy_sessions.domain import decide

log = logging.getLogger(__name__)


class OutcomeJudge:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        grace: timedelta,
        batch_size: int = 200,
        poll_seconds: float = 5.0,
    ) -> None:
        self._db = db
        self._clock = clock
        self._grace = grace
        self._batch = batch_size
        self._poll = poll_seconds
        self.decided = 0

    async def decide_outcomes(self) -> int:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            ended = await store.claim_undecided(tx, now - self._grace, self._batch)
            if not ended:
                return 0
            joined = await store.joined_accounts(tx, [s.booking_id for s in ended])
            for session in ended:
                decision = decide(session, joined[session.booking_id])
                await tx.execute(
                    update(store.sessions)
                    .where(store.sessions.c.booking_id == session.booking_id)
                    .values(outcome=decision.outcome, decided_at=now)
                )
                data = (
                    Attended(booking_id=session.booking_id)
                    if decision.outcome == "attended"
                    else Missed(booking_id=session.booking_id, absent=list(decision.absent))
                )
                await stage(tx, store.outbox, data, subject=session.booking_id)
        self.decided += len(ended)
        return len(ended)

    async def run(self) -> None:
        while True:
            try:
                done = await self.decide_outcomes()
            except Exception as exc:
                log.warning("outcomes: batch failed, retrying: %r", exc)
                done = 0
            if done < self._batch:
                await asyncio.sleep(self._poll)
