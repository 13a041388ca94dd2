"""Demo data: profiles, weekly rules and a month of slots for the demo psychologists.

The people come from the one demo data set (psy_localstack.demo) as plain dicts, so the catalog
never imports the local stack. Everything else is derived deterministically from the id: run it
twice and nothing is duplicated; a psychologist who already has rules keeps them.
"""

import asyncio
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any

from psy_platform.db import Database
from psy_platform.migrations import migrate
from sqlalchemy import text

from psy_catalog import taxonomy
from psy_catalog.app import MIGRATIONS
from psy_catalog.config import CatalogSettings
from psy_catalog.domain import FORMATS
from psy_catalog.profiles import Profile, upsert_profiles
from psy_catalog.schedule import generate

_ABOUT = (
    "Педагог-психолог. Помогаю детям и родителям справиться с трудностями в школе и дома.",
    "Работаю со школьниками 1–11 классов и их родителями. Бережно, без оценок.",
    "Консультирую по вопросам эмоций, общения и учёбы. Опыт работы в школе — более 5 лет.",
)
_CHUNK = 500


def demo_profile(person: dict[str, Any]) -> Profile:
    rng = random.Random(str(person["id"]))
    formats = list(FORMATS) if rng.random() < 0.7 else ["video", "chat"]
    return Profile(
        id=uuid.UUID(str(person["id"])),
        full_name=person["full_name"],
        school=person["school"],
        region=person["region"],
        timezone=person["timezone"],
        topics=sorted(rng.sample([t.code for t in taxonomy.TOPICS], rng.randint(3, 6))),
        formats=formats,
        place=f"{person['school']}, кабинет психолога № {rng.randint(1, 40)}"
        if "in_person" in formats
        else None,
        about=rng.choice(_ABOUT),
    )


def demo_rules(profile: Profile) -> list[dict[str, Any]]:
    """3 weekdays, 3–5 consultations each, in local school hours."""
    rng = random.Random(f"rules:{profile.id}")
    rules = []
    for weekday in sorted(rng.sample(range(1, 6), 3)):
        duration = rng.choice((45, 60))
        for hour in sorted(rng.sample(range(9, 17), rng.randint(3, 5))):
            formats = [f for f in profile.formats if rng.random() < 0.7] or ["video"]
            rules.append(
                {
                    "psychologist_id": profile.id,
                    "weekday": weekday,
                    "start": time(hour, 0),
                    "duration_minutes": duration,
                    "formats": ",".join(formats),
                    "place": profile.place if "in_person" in formats else None,
                }
            )
    return rules


_INSERT_RULES = text(
    """
    INSERT INTO schedule_rule (psychologist_id, weekday, start, duration_minutes, formats, place)
    SELECT r.pid, r.weekday, r.start, r.duration, string_to_array(r.formats, ','), r.place
    FROM unnest(CAST(:pids AS uuid[]), CAST(:weekdays AS smallint[]), CAST(:starts AS time[]),
                CAST(:durations AS smallint[]), CAST(:formats AS text[]), CAST(:places AS text[]))
         AS r(pid, weekday, start, duration, formats, place)
    WHERE NOT EXISTS (SELECT 1 FROM schedule_rule o WHERE o.psychologist_id = r.pid)
    """
)


async def _insert_rules(session: Any, rules: list[dict[str, Any]]) -> None:
    await session.execute(
        _INSERT_RULES,
        {
            "pids": [r["psychologist_id"] for r in rules],
            "weekdays": [r["weekday"] for r in rules],
            "starts": [r["start"] for r in rules],
            "durations": [r["duration_minutes"] for r in rules],
            "formats": [r["formats"] for r in rules],
            "places": [r["place"] for r in rules],
        },
    )


async def load_demo(
    settings: CatalogSettings, psychologists: Sequence[dict[str, Any]], days: int = 30
) -> dict[str, int]:
    """Migrate, then load profiles, rules and `days` of slots; events go through the outbox."""
    await asyncio.to_thread(migrate, settings.database_url, MIGRATIONS)
    db = Database(settings.database_url)
    now = datetime.now(UTC)
    created = opened = 0
    try:
        for start in range(0, len(psychologists), _CHUNK):
            profiles = [demo_profile(p) for p in psychologists[start : start + _CHUNK]]
            async with db.transaction() as session:
                created += len(await upsert_profiles(session, profiles))
                await _insert_rules(session, [r for p in profiles for r in demo_rules(p)])
                opened += await generate(session, [p.id for p in profiles], days, now)
    finally:
        await db.close()
    return {"psychologists": len(psychologists), "created": created, "slots_opened": opened}
