"""Types shared by the event models."""

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Format = Literal["video", "chat", "in_person"]
Role = Literal["parent", "child", "psychologist", "admin"]
TimeZone = Annotated[str, Field(description="IANA time zone, e.g. Europe/Samara", min_length=1)]
Instant = Annotated[AwareDatetime, Field(description="ISO 8601 with offset; producers send UTC")]


class EventData(BaseModel):
    """Base of every event's data.

    Unknown fields are kept: newer producers may add optional ones.
    """

    model_config = ConfigDict(extra="allow", frozen=True)
