"""The committed AsyncAPI documents are what the generator writes from psy_contracts, and they
describe every event with references that resolve."""

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml
from psy_contracts import EVENT_TYPES
from psy_contracts.registry import TOPIC_OF
from psy_contracts.topics import SESSION_LINKS

FOLDER = Path(__file__).resolve().parents[3] / "docs" / "asyncapi"
spec = importlib.util.spec_from_file_location("asyncapi_generate", FOLDER / "generate.py")
assert spec and spec.loader
generate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generate)
DOCUMENTS = generate.documents()


def test_committed_documents_are_up_to_date() -> None:
    committed = {p.name: p.read_text(encoding="utf-8") for p in FOLDER.glob("*.yaml")}
    assert set(committed) == set(DOCUMENTS), "run `uv run python docs/asyncapi/generate.py`"
    for name, text in DOCUMENTS.items():
        assert committed[name] == text, f"{name} is stale: run docs/asyncapi/generate.py"


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_reference_resolves(name: str) -> None:
    doc = yaml.safe_load(DOCUMENTS[name])
    assert doc["asyncapi"] == "3.0.0"
    for ref in refs(doc):
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
            node = node[part]


def test_the_combined_document_has_every_event_on_its_topic() -> None:
    doc = yaml.safe_load(DOCUMENTS["psy.yaml"])
    on_channels = {
        event: topic for topic, ch in doc["channels"].items() for event in ch["messages"]
    }
    assert on_channels == TOPIC_OF
    for event_type, model in EVENT_TYPES.items():
        data = doc["components"]["schemas"][event_type]
        assert set(data["properties"]) == set(model.model_fields)


def test_the_link_topic_is_marked_internal_and_only_in_the_sessions_document() -> None:
    combined = yaml.safe_load(DOCUMENTS["psy.yaml"])
    assert combined["channels"][SESSION_LINKS]["tags"] == [{"name": "internal"}]
    assert "INTERNAL" in combined["channels"][SESSION_LINKS]["description"]
    holders = [n for n, t in DOCUMENTS.items() if SESSION_LINKS in yaml.safe_load(t)["channels"]]
    assert sorted(holders) == ["psy.yaml", "sessions.yaml"]
