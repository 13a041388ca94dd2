"""JSON Schema of every event type, one file each: `python -m psy_contracts.schema_export DIR`."""

import json
import sys
from pathlib import Path
from typing import Any

from psy_contracts.envelope import CloudEvent
from psy_contracts.registry import EVENT_TYPES, TOPIC_OF


def schemas() -> dict[str, dict[str, Any]]:
    """File name → schema: the envelope, and each event's data with its type and topic."""
    out: dict[str, dict[str, Any]] = {"cloudevent.json": CloudEvent.model_json_schema()}
    for event_type, model in sorted(EVENT_TYPES.items()):
        schema = model.model_json_schema()
        schema["$id"] = f"urn:{event_type}"
        schema["x-topic"] = TOPIC_OF[event_type]
        out[f"{event_type}.json"] = schema
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(folder: str) -> None:
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas().items():
        (target / name).write_text(render(schema), encoding="utf-8")
    print(f"{len(schemas())} schemas written to {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "libs/contracts/schemas")
