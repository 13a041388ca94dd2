"""The chart's topic Job creates every topic of the contract and only well-formed dead-letter
topics (`<topic>.dlq.<group>` of a real topic and a real service)."""

from pathlib import Path

import yaml
from psy_contracts import topics

VALUES = Path(__file__).resolve().parents[3] / "deploy" / "helm" / "psy" / "values.yaml"
SERVICES = {"identity", "catalog", "booking", "notify", "sessions", "portal"}


def test_the_chart_creates_every_contract_topic_and_valid_dead_letter_topics() -> None:
    names = yaml.safe_load(VALUES.read_text(encoding="utf-8"))["kafka"]["topics"]["names"]
    assert len(names) == len(set(names))
    assert set(topics.ALL) <= set(names)
    for name in set(names) - set(topics.ALL):
        topic, _, group = name.partition(".dlq.")
        assert topic in topics.ALL and group in SERVICES, name
        assert name == topics.dead_letter(topic, group)
