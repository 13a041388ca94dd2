"""The committed JSON Schemas are the public contract: they match the models, and a change to
the models may only add to them."""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from psy_contracts import EVENT_TYPES, new_event, parse_event
from psy_contracts.compat import breaking_changes
from psy_contracts.events.booking import BookingCreated
from psy_contracts.schema_export import render, schemas
from pydantic import ValidationError

CONTRACTS = Path(__file__).resolve().parents[3] / "libs" / "contracts"
PUBLISHED = sorted((CONTRACTS / "published").glob("v*/*.json"))


def test_committed_schemas_match_the_models() -> None:
    current = schemas()
    committed = {
        p.name: p.read_text(encoding="utf-8") for p in (CONTRACTS / "schemas").glob("*.json")
    }
    assert set(committed) == set(current), "run `make schemas` and commit the result"
    for name, schema in current.items():
        assert committed[name] == render(schema), f"{name} is stale: run `make schemas`"


@pytest.mark.parametrize("published", PUBLISHED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_breaking_change_to_a_published_schema(published: Path) -> None:
    current = schemas()
    assert published.name in current, f"{published.name} was published and must stay"
    old = json.loads(published.read_text(encoding="utf-8"))
    assert breaking_changes(old, current[published.name]) == []


def test_every_event_type_is_published() -> None:
    assert {p.name for p in PUBLISHED} >= {f"{t}.json" for t in EVENT_TYPES}


OLD = {
    "properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "string"}},
    "required": ["a"],
}


@pytest.mark.parametrize(
    ("new", "problem"),
    [
        (
            {"properties": {"b": {"type": "integer"}, "c": {"type": "string"}}, "required": []},
            "a: removed or renamed",
        ),
        (
            {"properties": {**OLD["properties"], "b": {"type": "string"}}, "required": ["a"]},
            "b: type changed",
        ),
        ({"properties": OLD["properties"], "required": ["a", "c"]}, "c: made required"),
        (
            {"properties": {**OLD["properties"], "d": {"type": "string"}}, "required": ["a", "d"]},
            "d: new required field",
        ),
    ],
)
def test_the_compatibility_check_catches(new: dict, problem: str) -> None:
    assert breaking_changes(OLD, new) == [problem]


def test_the_compatibility_check_allows_a_new_optional_field() -> None:
    new = {"properties": {**OLD["properties"], "d": {"type": "string"}}, "required": ["a"]}
    assert breaking_changes(OLD, new) == []


def created() -> BookingCreated:
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    return BookingCreated(
        booking_id=uuid.uuid4(),
        slot_id=uuid.uuid4(),
        psychologist_id=uuid.uuid4(),
        booked_by=uuid.uuid4(),
        participant_id=uuid.uuid4(),
        participant_kind="child",
        format="video",
        topics=["anxiety"],
        comment=None,
        starts_at=now,
        ends_at=now,
        timezone="Europe/Samara",
    )


def test_an_envelope_round_trips_as_cloudevents_json() -> None:
    data = created()
    event = new_event(data, data.booking_id)
    wire = json.loads(event.to_json())
    assert wire["specversion"] == "1.0"
    assert wire["type"] == "ru.psy.booking.booking.created.v1"
    assert wire["source"] == "/psy/booking"
    assert wire["subject"] == str(data.booking_id)
    assert parse_event(event.to_json()).payload() == data


def test_an_event_with_invalid_data_is_refused() -> None:
    event = new_event(created(), "x")
    broken = json.loads(event.to_json())
    del broken["data"]["booking_id"]
    with pytest.raises(ValidationError):
        parse_event(json.dumps(broken))
    broken["type"] = "ru.psy.unknown.v1"
    with pytest.raises(KeyError):
        parse_event(json.dumps(broken))
