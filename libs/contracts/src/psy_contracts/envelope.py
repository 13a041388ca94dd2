"""CloudEvents 1.0 envelope, structured JSON mode (application/cloudevents+json)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json"


class CloudEvent(BaseModel):
    """One event as it travels on Kafka. `data` is validated against the model of `type`."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Unique per event; dedupe on it")
    source: str = Field(description="/psy/<service>", pattern=r"^/psy/[a-z]+$")
    type: str = Field(description="ru.psy.<service>.<event>.v1")
    subject: str = Field(description="The aggregate id; also the Kafka key")
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    def payload(self) -> BaseModel:
        """The typed data model of this event (raises if the type is unknown or data invalid)."""
        from psy_contracts.registry import data_model_for

        return data_model_for(self.type).model_validate(self.data)


def new_event(data: BaseModel, subject: str | uuid.UUID) -> CloudEvent:
    """An envelope for `data`, whose class names its own type and source."""
    from psy_contracts.registry import type_of

    event_type = type_of(type(data))
    service = event_type.split(".")[2]
    return CloudEvent(
        source=f"/psy/{service}",
        type=event_type,
        subject=str(subject),
        data=data.model_dump(mode="json"),
    )


def parse_event(raw: bytes | str) -> CloudEvent:
    """Parse and validate an envelope and its data; raises pydantic.ValidationError or KeyError."""
    event = CloudEvent.model_validate_json(raw)
    event.payload()
    return event
