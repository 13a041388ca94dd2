"""What counts as a breaking change to a published event schema.

Allowed: a new optional field, a new event type. Breaking: a field removed (or renamed, which is
a removal), its type changed, an optional field made required, a new required field.
"""

from typing import Any

Schema = dict[str, Any]


def _resolve(node: Schema, root: Schema) -> Schema:
    ref = node.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return _resolve(root["$defs"][ref.removeprefix("#/$defs/")], root)
    return node


def _shape(node: Schema, root: Schema) -> Any:
    """A comparable description of a field's type, ignoring titles and descriptions."""
    node = _resolve(node, root)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in node:
            return (combinator, sorted(repr(_shape(n, root)) for n in node[combinator]))
    if node.get("type") == "object" and "properties" in node:
        return ("object", sorted((k, repr(_shape(v, root))) for k, v in node["properties"].items()))
    return (
        node.get("type"),
        node.get("format"),
        tuple(sorted(map(str, node.get("enum", [])))) or node.get("const"),
        repr(_shape(node["items"], root)) if "items" in node else None,
    )


def breaking_changes(old: Schema, new: Schema, where: str = "") -> list[str]:
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name, old_field in old_props.items():
        if name not in new_props:
            problems.append(f"{where}{name}: removed or renamed")
            continue
        if _shape(old_field, old) != _shape(new_props[name], new):
            problems.append(f"{where}{name}: type changed")
        if name in new_required and name not in old_required:
            problems.append(f"{where}{name}: made required")
    for name in new_required - set(old_props):
        problems.append(f"{where}{name}: new required field")
    return problems
