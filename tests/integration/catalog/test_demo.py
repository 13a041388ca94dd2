"""The demo loader: the demo psychologists with a month of slots; twice loaded, once stored."""

from psy_catalog.config import CatalogSettings
from psy_catalog.demo import load_demo
from psy_catalog.store import outbox, psychologist, schedule_rule, slot
from psy_localstack import demo
from psy_platform.db import Database
from sqlalchemy import func, select


def demo_psychologists() -> list[dict]:  # type: ignore[type-arg]
    return [
        {
            "id": p.id,
            "full_name": p.full_name,
            "school": p.school,
            "region": p.region.name,
            "timezone": p.region.timezone,
        }
        for p in demo.people()
        if p.role == "psychologist"
    ]


async def counts(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        async with db.transaction() as session:
            return {
                t.name: await session.scalar(select(func.count()).select_from(t))
                for t in (psychologist, schedule_rule, slot, outbox)
            }
    finally:
        await db.close()


async def test_demo_data_loads_once_and_matches_the_demo_people(new_database) -> None:  # type: ignore[no-untyped-def]
    settings = CatalogSettings(database_url=await new_database("catalog_demo"))
    people = demo_psychologists()
    first = await load_demo(settings, people)
    assert first["created"] == len(people) == 50
    after_first = await counts(settings.database_url)
    assert after_first["psychologist"] == 50
    assert 50 * 30 <= after_first["slot"] <= 50 * 80  # 3 weekdays × 3–5 slots over 30 days
    assert after_first["outbox"] == 50 + after_first["slot"]  # published + one slot.opened each

    second = await load_demo(settings, people)
    assert second == {"psychologists": 50, "created": 0, "slots_opened": 0}
    assert await counts(settings.database_url) == after_first

    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            zones = dict(
                (
                    await session.execute(select(psychologist.c.full_name, psychologist.c.timezone))
                ).all()
            )
            regions = set((await session.execute(select(psychologist.c.region))).scalars())
    finally:
        await db.close()
    assert zones["Иванова Мария Петровна"] == "Europe/Samara"
    assert zones["Иванов Пётр Алексеевич"] == "Asia/Vladivostok"
    assert zones["Калинина Ирина Олеговна"] == "Europe/Kaliningrad"
    assert "Самарская область" in regions and len(regions) >= 3
