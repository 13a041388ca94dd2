"""Psychologists' public profiles: the admin creates and updates them; changes are published."""

import uuid
from dataclasses import asdict, dataclass

from psy_contracts.events.catalog import PsychologistPublished
from sqlalchemy import func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from psy_catalog import taxonomy
from psy_catalog.domain import Rejected, check_formats, normalize_name, zone
from psy_catalog.events import stage_many
from psy_catalog.store import psychologist

_LOCAL_DAYS = text(
    """
    UPDATE slot s SET local_day = (s.starts_at AT TIME ZONE p.timezone)::date
      FROM psychologist p
     WHERE p.id = s.psychologist_id AND p.id = ANY(CAST(:ids AS uuid[]))
       AND s.local_day <> (s.starts_at AT TIME ZONE p.timezone)::date
    """
)


@dataclass(frozen=True)
class Profile:
    id: uuid.UUID
    full_name: str
    school: str
    region: str
    timezone: str
    topics: list[str]
    formats: list[str]
    place: str | None = None
    about: str = ""


def checked(profile: Profile) -> Profile:
    """Known topics, a real zone, formats that make sense; refused otherwise."""
    bad = taxonomy.unknown(profile.topics)
    if bad:
        raise Rejected(422, "unknown_topic", f"Неизвестная тема: {', '.join(bad)}.")
    if not normalize_name(profile.full_name):
        raise Rejected(422, "validation_error", "Укажите ФИО психолога.")
    zone(profile.timezone)
    formats = check_formats(profile.formats, profile.place, profile.formats)
    topics = [t.code for t in taxonomy.TOPICS if t.code in set(profile.topics)]
    return Profile(**{**asdict(profile), "formats": formats, "topics": topics})


def published(profile: Profile) -> tuple[PsychologistPublished, uuid.UUID]:
    data = PsychologistPublished(
        psychologist_id=profile.id,
        full_name=profile.full_name,
        school=profile.school,
        region=profile.region,
        timezone=profile.timezone,
        formats=profile.formats,  # type: ignore[arg-type]
        topics=profile.topics,
    )
    return data, profile.id


async def upsert_profiles(session: AsyncSession, profiles: list[Profile]) -> list[uuid.UUID]:
    """Create or update; psychologist.published goes out only for what is new or changed.

    Returns the ids of the profiles that were created (not merely updated)."""
    created: list[uuid.UUID] = []
    for start in range(0, len(profiles), 1000):  # keeps bind parameters under PostgreSQL's limit
        created += await _upsert_chunk(
            session, [checked(p) for p in profiles[start : start + 1000]]
        )
    return created


async def _upsert_chunk(session: AsyncSession, profiles: list[Profile]) -> list[uuid.UUID]:
    rows = [{**asdict(p), "search_name": normalize_name(p.full_name)} for p in profiles]
    statement = insert(psychologist).values(rows)
    fields = (
        "full_name",
        "search_name",
        "school",
        "region",
        "timezone",
        "topics",
        "formats",
        "place",
        "about",
    )
    changed_cond = func.row(*(psychologist.c[f] for f in fields)).is_distinct_from(
        func.row(*(statement.excluded[f] for f in fields))
    )
    statement = statement.on_conflict_do_update(
        index_elements=[psychologist.c.id],
        set_={**{f: statement.excluded[f] for f in fields}, "updated_at": func.now()},
        where=changed_cond,
    )
    # xmax = 0 tells an inserted row from an updated one.
    returning = statement.returning(psychologist.c.id, literal_column("(xmax = 0)"))
    result = (await session.execute(returning)).all()
    touched = {row[0] for row in result}
    if touched:  # a changed time zone moves the local days of existing slots
        await session.execute(_LOCAL_DAYS, {"ids": list(touched)})
    await stage_many(session, [published(p) for p in profiles if p.id in touched])
    return [row[0] for row in result if row[1]]


async def load_profile(session: AsyncSession, psychologist_id: uuid.UUID) -> Profile | None:
    row = (
        await session.execute(select(psychologist).where(psychologist.c.id == psychologist_id))
    ).first()
    if row is None:
        return None
    return Profile(
        id=row.id,
        full_name=row.full_name,
        school=row.school,
        region=row.region,
        timezone=row.timezone,
        topics=list(row.topics),
        formats=list(row.formats),
        place=row.place,
        about=row.about,
    )
