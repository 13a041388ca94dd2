"""«Подбор психолога» on real PostgreSQL: by ФИО, topics, dates with free slots; bad input."""

from datetime import UTC, datetime, timedelta

from psy_catalog import nearest
from psy_catalog.store import psychologist, slot
from sqlalchemy import select

from tests.integration.catalog.conftest import Catalog, local_day


async def people(catalog: Catalog) -> None:
    await catalog.add_psychologist("Иванова Мария Петровна")
    await catalog.add_psychologist("Иванова Елена Сергеевна")
    await catalog.add_psychologist("Иванов Пётр Алексеевич", timezone="Asia/Vladivostok")
    await catalog.add_psychologist("Смирнова Алёна Игоревна")
    await catalog.add_psychologist("Марьина Ольга Ивановна")


async def test_name_search_any_case_any_order_and_yo(catalog: Catalog) -> None:
    await people(catalog)
    assert sorted(await catalog.names(q="иванова")) == [
        "Иванова Елена Сергеевна",
        "Иванова Мария Петровна",
    ]
    for q in ("Иванова Мария", "мария иванова", "МАРИЯ", "иванова мар"):
        assert await catalog.names(q=q) == ["Иванова Мария Петровна"], q
    for q in ("Алёна", "Алена", "алена смирнова"):
        assert await catalog.names(q=q) == ["Смирнова Алёна Игоревна"], q
    # the patronymic is a part of the name too; a beginning of a word matches it
    assert await catalog.names(q="петровна") == ["Иванова Мария Петровна"]
    assert len(await catalog.names(q="иванов")) == 4  # and «Ивановна», a patronymic


async def test_a_misspelt_name_still_finds_the_person(catalog: Catalog) -> None:
    await people(catalog)
    assert await catalog.names(q="Смирнва Алена") == ["Смирнова Алёна Игоревна"]
    assert await catalog.names(q="Зюзюкина") == []


async def test_topic_and_date_filters_return_only_psychologists_with_a_free_matching_slot(
    catalog: Catalog,
) -> None:
    day = local_day(3)
    later = local_day(5)
    anxious = await catalog.add_psychologist("Орлова Анна Юрьевна", topics=["anxiety", "grief"])
    await catalog.open_slot(anxious, f"{day}T10:00")
    no_slot_that_day = await catalog.add_psychologist("Павлова Вера Андреевна", topics=["anxiety"])
    await catalog.open_slot(no_slot_that_day, f"{later}T10:00")
    other_topic = await catalog.add_psychologist("Козлова Юлия Олеговна", topics=["bullying"])
    await catalog.open_slot(other_topic, f"{day}T09:00")
    await catalog.add_psychologist("Егорова Дарья Сергеевна", topics=["anxiety", "grief"])

    found = await catalog.search(topic="anxiety", date_from=str(day), date_to=str(day))
    assert [i["full_name"] for i in found["items"]] == ["Орлова Анна Юрьевна"]
    assert found["total"] == 1
    assert found["items"][0]["next_free_slot"] == f"{day}T10:00:00+04:00"
    # every given topic must match
    assert await catalog.names(topic=["anxiety", "grief"]) == [
        "Орлова Анна Юрьевна",
        "Егорова Дарья Сергеевна",  # no free slot at all: found, listed last
    ]
    # the whole range: both with anxiety and a free slot, nearest slot first
    assert await catalog.names(topic="anxiety", date_from=str(day), date_to=str(later)) == [
        "Орлова Анна Юрьевна",
        "Павлова Вера Андреевна",
    ]
    assert await catalog.names(date_from=str(day), date_to=str(day)) == [
        "Козлова Юлия Олеговна",
        "Орлова Анна Юрьевна",
    ]


async def test_format_and_region_filters_and_paging(catalog: Catalog) -> None:
    day = local_day(2)
    video = await catalog.add_psychologist("Алексеева Анна Викторовна")
    await catalog.open_slot(video, f"{day}T11:00", formats=["video"])
    in_person = await catalog.add_psychologist("Андреева Анна Дмитриевна")
    await catalog.open_slot(in_person, f"{day}T12:00", formats=["in_person"])
    far = await catalog.add_psychologist(
        "Захарова Анна Николаевна", region="Приморский край", timezone="Asia/Vladivostok"
    )
    await catalog.open_slot(far, f"{day}T09:00", formats=["video", "chat"])

    assert await catalog.names(format="in_person") == ["Андреева Анна Дмитриевна"]
    assert await catalog.names(format="video") == [
        "Захарова Анна Николаевна",  # 09:00 in Vladivostok is the earliest instant
        "Алексеева Анна Викторовна",
    ]
    assert await catalog.names(region="Приморский край") == ["Захарова Анна Николаевна"]
    first = await catalog.search(q="анна", size=2, page=1)
    second = await catalog.search(q="анна", size=2, page=2)
    past_the_end = await catalog.search(q="анна", size=2, page=3)
    assert first["total"] == second["total"] == past_the_end["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert past_the_end["items"] == []
    names = [i["full_name"] for i in first["items"] + second["items"]]
    assert names == await catalog.names(q="анна")


async def test_bad_input_is_refused_with_a_stable_code(catalog: Catalog) -> None:
    cases = {
        "/psychologists?topic=astrology": "unknown_topic",
        "/psychologists?date_from=2030-05-10&date_to=2030-05-01": "invalid_date_range",
        "/psychologists?size=101": "page_size_too_large",
        "/psychologists?page=0": "validation_error",
        "/psychologists?format=telepathy": "validation_error",
        "/psychologists?date_from=10.05.2030": "validation_error",
        "/psychologists/not-a-uuid": "validation_error",
        "/psychologists/not-a-uuid/slots": "validation_error",
    }
    for path, code in cases.items():
        response = await catalog.http.get(path, headers=catalog.parent)
        assert response.status_code == 422, path
        body = response.json()["error"]
        assert body["code"] == code, path
        assert body["message"], path
    missing = await catalog.http.get(
        "/psychologists/00000000-0000-0000-0000-000000000000", headers=catalog.parent
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "psychologist_not_found"


async def test_a_slot_that_has_begun_is_no_longer_the_nearest_free_one(catalog: Catalog) -> None:
    day = local_day(1)
    pid = await catalog.add_psychologist("Михайлова Светлана Юрьевна")
    first = await catalog.open_slot(pid, f"{day}T10:00")
    second = await catalog.open_slot(pid, f"{day}T11:00")
    assert (await catalog.search(q="михайлова"))["items"][0]["next_free_slot"] == first["starts_at"]
    async with catalog.runtime.db.transaction() as session:  # time passes: the first one begins
        begun = datetime.now(UTC) - timedelta(minutes=1)
        await session.execute(slot.update().where(slot.c.id == first["id"]).values(starts_at=begun))
        await session.execute(psychologist.update().values(next_free_at=begun))
    # Right away (the kept value is recomputed in the query) and after the refresh worker's pass.
    assert (await catalog.search(q="михайлова"))["items"][0]["next_free_slot"] == second[
        "starts_at"
    ]
    async with catalog.runtime.db.transaction() as session:
        assert await nearest.refresh_overtaken(session) == 1
        kept = await session.scalar(select(psychologist.c.next_free_at))
    assert kept == datetime.fromisoformat(second["starts_at"])
    assert (await catalog.search(q="михайлова"))["items"][0]["next_free_slot"] == second[
        "starts_at"
    ]
