"""Joining through the service, and what the portal's «Войти в Сферум» button shows."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from psy_contracts.events.sessions import Joined
from psy_platform.db import Database
from psy_platform.outbox import stage

from psy_sessions import store
from psy_sessions.domain import JoinRefused, Session, Status, Via, can_join, check_join, status_of
from psy_sessions.domain import join_opens_at as opens_at

NOT_FOUND = JoinRefused(404, "session_not_found", "Консультация не найдена.")


async def join(
    db: Database,
    booking_id: uuid.UUID,
    account_id: uuid.UUID,
    via: Via,
    now: datetime,
    lead: timedelta,
    generation: int | None = None,
) -> str:
    """Record the join and stage session.joined; returns the room URL. Refusals record nothing.

    `generation` comes with an e-mailed link: a link issued for an earlier time of a booking
    that has since been moved no longer opens the door.
    """
    async with db.transaction() as tx:
        session = await store.get_session(tx, booking_id)
        if session is None:
            raise NOT_FOUND
        if generation is not None and generation != session.generation:
            raise JoinRefused(
                410,
                "link_outdated",
                "Время консультации изменилось, и эта ссылка больше не действует. "
                "Войдите через «Мои записи» или дождитесь новой ссылки.",
            )
        room_url = check_join(session, account_id, now, lead)
        await tx.execute(
            store.joins.insert().values(
                booking_id=booking_id,
                account_id=account_id,
                generation=session.generation,
                at=now,
                via=via,
            )
        )
        await stage(
            tx,
            store.outbox,
            Joined(booking_id=booking_id, account_id=account_id, at=now, via=via),
            subject=booking_id,
        )
    return room_url


@dataclass(frozen=True)
class JoinRecord:
    account_id: uuid.UUID
    at: datetime
    via: str


@dataclass(frozen=True)
class SessionView:
    status: Status
    join_opens_at: datetime
    can_join: bool
    joined: list[JoinRecord]


async def view(
    db: Database, booking_id: uuid.UUID, viewer: uuid.UUID, now: datetime, lead: timedelta
) -> SessionView:
    async with db.transaction() as tx:
        session: Session | None = await store.get_session(tx, booking_id)
        if session is None:
            raise NOT_FOUND
        if not session.takes_part(viewer):
            raise JoinRefused(403, "not_participant", "Вы не участник этой консультации.")
        rows = await store.first_joins(tx, session)
    return SessionView(
        status=status_of(session),
        join_opens_at=opens_at(session, lead),
        can_join=can_join(session, now, lead),
        joined=[JoinRecord(r.account_id, r.at, r.via) for r in rows],
    )
