"""Schedules in the psychologist's time zone: weekly rules, single slots, exceptions, withdrawal."""

from datetime import UTC, datetime

from psy_catalog.schedule import generate_all
from psy_catalog.store import slot
from sqlalchemy import func, select

from tests.integration.catalog.conftest import Catalog, local_day

ZONES = {
    "Europe/Samara": ("+04:00", 6),
    "Asia/Vladivostok": ("+10:00", 0),
    "Europe/Kaliningrad": ("+02:00", 8),
}


async def slots_on(catalog: Catalog, pid, day) -> list[dict]:  # type: ignore[no-untyped-def]
    response = await catalog.http.get(
        f"/psychologists/{pid}/slots",
        params={"date_from": str(day), "date_to": str(day)},
        headers=catalog.parent,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_slot_at_ten_is_the_right_instant_in_each_zone(catalog: Catalog) -> None:
    for tz, (offset, utc_hour) in ZONES.items():
        pid = await catalog.add_psychologist(f"Психолог {tz}", timezone=tz)
        day = local_day(4, tz)
        rule = {"weekday": day.isoweekday(), "start": "10:00", "formats": ["video"]}
        put = await catalog.http.put(
            "/me/schedule",
            json={"rules": [rule], "exceptions": []},
            headers=catalog.as_("psychologist", pid),
        )
        assert put.status_code == 200, put.text
        assert put.json()["timezone"] == tz
        single = await catalog.open_slot(pid, f"{day}T12:00")  # no offset: read in the zone
        assert single["starts_at"] == f"{day}T12:00:00{offset}"

        listed = await slots_on(catalog, pid, day)
        assert [s["starts_at"] for s in listed] == [
            f"{day}T10:00:00{offset}",
            f"{day}T12:00:00{offset}",
        ]
        assert listed[0]["ends_at"] == f"{day}T10:45:00{offset}"
        assert {s["timezone"] for s in listed} == {tz}
        assert {s["status"] for s in listed} == {"free"}
        async with catalog.runtime.db.transaction() as session:
            stored = await session.scalar(
                select(slot.c.starts_at).where(slot.c.id == listed[0]["id"])
            )
        assert stored == datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC), tz


async def test_weekly_rules_fill_the_window_once_and_follow_changes(catalog: Catalog) -> None:
    pid = await catalog.add_psychologist("Лебедева Ксения Юрьевна")
    me = catalog.as_("psychologist", pid)
    weekdays = [{"weekday": d, "start": "15:00", "formats": ["video", "chat"]} for d in range(1, 8)]
    assert (await catalog.http.put("/me/schedule", json={"rules": weekdays}, headers=me)).is_success

    async def mine() -> list[dict]:  # type: ignore[type-arg]
        return (await catalog.http.get("/me/slots", headers=me)).json()  # type: ignore[no-any-return]

    window = await mine()
    assert 29 <= len(window) <= 31  # one a day over the 30-day window (today's may have passed)
    # Generation again (the daily worker) and the same rules again open nothing new.
    assert await generate_all(catalog.runtime.db, catalog.settings.booking_window_days) == 0
    assert (await catalog.http.put("/me/schedule", json={"rules": weekdays}, headers=me)).is_success
    assert [s["id"] for s in await mine()] == [s["id"] for s in window]

    holiday = local_day(6)
    body = {"rules": weekdays, "exceptions": [str(holiday)]}
    assert (await catalog.http.put("/me/schedule", json=body, headers=me)).is_success
    assert await slots_on(catalog, pid, holiday) == []
    schedule = (await catalog.http.get("/me/schedule", headers=me)).json()
    assert schedule["exceptions"] == [str(holiday)]
    # Lifting the exception brings the very same slot back.
    assert (await catalog.http.put("/me/schedule", json={"rules": weekdays}, headers=me)).is_success
    back = await slots_on(catalog, pid, holiday)
    assert [s["id"] for s in back] == [
        s["id"] for s in window if s["starts_at"].startswith(str(holiday))
    ]

    # Fewer rules: the free slots they gave are withdrawn.
    weekends = [r for r in weekdays if r["weekday"] >= 6]
    assert (await catalog.http.put("/me/schedule", json={"rules": weekends}, headers=me)).is_success
    assert {datetime.fromisoformat(s["starts_at"]).isoweekday() for s in await mine()} <= {6, 7}


async def test_withdrawing_a_slot_hides_it_and_only_the_owner_may(catalog: Catalog) -> None:
    pid = await catalog.add_psychologist("Новикова Полина Андреевна")
    other = await catalog.add_psychologist("Фёдорова Вера Сергеевна")
    day = local_day(2)
    opened = await catalog.open_slot(pid, f"{day}T10:00")
    by_other = await catalog.http.delete(
        f"/me/slots/{opened['id']}", headers=catalog.as_("psychologist", other)
    )
    assert by_other.status_code == 404
    mine = catalog.as_("psychologist", pid)
    assert (await catalog.http.delete(f"/me/slots/{opened['id']}", headers=mine)).status_code == 204
    assert (await catalog.http.delete(f"/me/slots/{opened['id']}", headers=mine)).status_code == 204
    assert await slots_on(catalog, pid, day) == []
    async with catalog.runtime.db.transaction() as session:
        kept = await session.scalar(
            select(func.count()).select_from(slot).where(slot.c.status == "withdrawn")
        )
    assert kept == 1


async def test_schedule_input_is_checked(catalog: Catalog) -> None:
    pid = await catalog.add_psychologist("Степанова Юлия Михайловна", formats=["video"], place=None)
    me = catalog.as_("psychologist", pid)
    day = local_day(3)
    await catalog.open_slot(pid, f"{day}T10:00")
    cases = [
        ({"starts_at": f"{day}T10:30", "formats": ["video"]}, 409, "slot_overlaps"),
        (
            {"starts_at": f"{day}T12:00", "duration_minutes": 30, "formats": ["video"]},
            422,
            "invalid_duration",
        ),
        ({"starts_at": f"{day}T12:00", "formats": ["in_person"]}, 422, "format_not_offered"),
        ({"starts_at": "2020-01-01T10:00+04:00", "formats": ["video"]}, 422, "slot_in_past"),
    ]
    for body, status, code in cases:
        response = await catalog.http.post("/me/slots", json=body, headers=me)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
    overlap = [
        {"weekday": 1, "start": "10:00", "formats": ["video"], "duration_minutes": 60},
        {"weekday": 1, "start": "10:30", "formats": ["video"]},
    ]
    response = await catalog.http.put("/me/schedule", json={"rules": overlap}, headers=me)
    assert response.json()["error"]["code"] == "rules_overlap"
    bad_profile = await catalog.http.put(
        f"/psychologists/{pid}",
        json={
            "full_name": "Х",
            "school": "Ш",
            "region": "Р",
            "timezone": "Mars/Olympus",
            "topics": ["anxiety"],
            "formats": ["video"],
        },
        headers=catalog.as_("admin"),
    )
    assert bad_profile.json()["error"]["code"] == "unknown_timezone"
    in_person_without_place = await catalog.http.put(
        f"/psychologists/{pid}",
        json={
            "full_name": "Х",
            "school": "Ш",
            "region": "Р",
            "timezone": "Europe/Samara",
            "topics": ["astrology"],
            "formats": ["in_person"],
        },
        headers=catalog.as_("admin"),
    )
    assert in_person_without_place.json()["error"]["code"] == "unknown_topic"
