"""The public event contract of «Цифровой психолог».

The only package an outside consumer installs: the CloudEvents 1.0 envelope, every v1 event
model and the topic names. No I/O.
"""

from psy_contracts.envelope import CloudEvent, new_event, parse_event
from psy_contracts.registry import EVENT_TYPES, data_model_for

__all__ = ["EVENT_TYPES", "CloudEvent", "data_model_for", "new_event", "parse_event"]
