"""AsyncAPI 3.0 documents of the event contract, generated from psy_contracts.

    uv run python docs/asyncapi/generate.py          # writes docs/asyncapi/*.yaml

One document per producing service and one combined (psy.yaml). Channels are the Kafka topics,
messages are CloudEvents 1.0 envelopes whose `data` is the committed JSON Schema of the event.
A test fails when the committed files differ from what this script writes.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from psy_contracts import topics
from psy_contracts.envelope import CONTENT_TYPE, CloudEvent
from psy_contracts.registry import EVENT_TYPES, TOPIC_OF

HERE = Path(__file__).resolve().parent
INTERNAL = {topics.SESSION_LINKS}
TOPIC_NOTES = {
    topics.IDENTITY: "Accounts, family links, Сферум links. Key: account id (child id for family).",
    topics.CATALOG: "Psychologists' profiles and slots. Key: psychologist id or slot id.",
    topics.BOOKING: "The booking lifecycle. Key: booking id: one booking's events stay in order.",
    topics.SESSIONS: "Joins and outcomes of consultations. Key: booking id.",
    topics.SESSION_LINKS: (
        "INTERNAL: join URLs are capabilities. Only notify reads this topic; outside consumers "
        "are never granted it. Key: booking id."
    ),
    topics.NOTIFY: "Delivery results of e-mail and inbox notifications. Key: notification id.",
}


def _service(topic: str) -> str:
    return topic.split(".")[1]


def _relocate_refs(node: Any) -> Any:
    """JSON Schema `#/$defs/X` becomes `#/components/schemas/X` inside an AsyncAPI document."""
    if isinstance(node, dict):
        return {
            k: (
                v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" else _relocate_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_relocate_refs(v) for v in node]
    return node


def _schemas(event_types: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"CloudEvent": CloudEvent.model_json_schema()}
    for event_type in event_types:
        schema = EVENT_TYPES[event_type].model_json_schema()
        for name, sub in schema.pop("$defs", {}).items():
            if out.setdefault(name, sub) != sub:
                raise ValueError(f"two different schemas named {name}")
        out[event_type] = schema
    return _relocate_refs(out)


def _message(event_type: str) -> dict[str, Any]:
    model = EVENT_TYPES[event_type]
    return {
        "name": event_type,
        "title": model.__name__,
        "contentType": CONTENT_TYPE,
        "payload": {
            "allOf": [
                {"$ref": "#/components/schemas/CloudEvent"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": event_type},
                        "source": {"const": f"/psy/{event_type.split('.')[2]}"},
                        "data": {"$ref": f"#/components/schemas/{event_type}"},
                    },
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The aggregate id (= `subject`)"},
                "bindingVersion": "0.5.0",
            }
        },
    }


def document(services: list[str], title: str) -> dict[str, Any]:
    chosen = [t for t in topics.ALL if _service(t) in services]
    event_types = sorted(e for e, t in TOPIC_OF.items() if t in chosen)
    channels, operations = {}, {}
    for topic in chosen:
        mine = [e for e in event_types if TOPIC_OF[e] == topic]
        channels[topic] = {
            "address": topic,
            "title": topic,
            "description": TOPIC_NOTES[topic],
            "messages": {e: {"$ref": f"#/components/messages/{e}"} for e in mine},
            "tags": [{"name": "internal" if topic in INTERNAL else "public"}],
            "bindings": {"kafka": {"topic": topic, "bindingVersion": "0.5.0"}},
        }
        operations[f"{_service(topic)}.publishes.{topic}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic}"},
            "summary": f"The {_service(topic)} service publishes on {topic} (transactional outbox)",
            "messages": [{"$ref": f"#/channels/{topic}/messages/{e}"} for e in mine],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": title,
            "version": version("psy-contracts"),
            "description": (
                "Events of «Цифровой психолог» as CloudEvents 1.0 (structured JSON) on Kafka. "
                "At-least-once delivery: deduplicate on `id`. Guide: docs/events.md."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "local": {
                "host": "127.0.0.1:19092",
                "protocol": "kafka",
                "description": "The local stack (`make up`); production addresses are issued "
                "with access.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {e: _message(e) for e in event_types},
            "schemas": _schemas(event_types),
        },
    }


def documents() -> dict[str, str]:
    """File name → YAML text."""
    services = sorted(
        {_service(t) for t in topics.ALL}, key=[_service(t) for t in topics.ALL].index
    )
    docs = {"psy.yaml": document(services, "«Цифровой психолог»: all events")}
    for service in services:
        docs[f"{service}.yaml"] = document([service], f"«Цифровой психолог»: {service} events")
    return {
        name: yaml.safe_dump(
            json.loads(json.dumps(doc)), sort_keys=False, allow_unicode=True, width=100
        )
        for name, doc in docs.items()
    }


def main(folder: Path = HERE) -> None:
    for name, text in documents().items():
        (folder / name).write_text(text, encoding="utf-8")
    print(f"{len(documents())} AsyncAPI documents written to {folder}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
