"""Request and response bodies of the catalog API."""

import uuid
from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import BaseModel, Field

FormatName = Literal["video", "chat", "in_person"]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Place = Annotated[str | None, Field(default=None, max_length=300)]


class TopicOut(BaseModel):
    code: str
    title: str


class PsychologistItem(BaseModel):
    id: uuid.UUID
    full_name: str
    school: str
    region: str
    timezone: str
    topics: list[str]
    formats: list[FormatName]
    next_free_slot: datetime | None = Field(
        description="The nearest free slot matching the filters, in the psychologist's zone"
    )


class SearchPage(BaseModel):
    items: list[PsychologistItem]
    total: int
    page: int
    size: int


class PsychologistOut(PsychologistItem):
    place: str | None
    about: str


class SlotOut(BaseModel):
    id: uuid.UUID
    starts_at: datetime = Field(description="ISO 8601 with the psychologist's UTC offset")
    ends_at: datetime
    timezone: str
    formats: list[FormatName]
    place: str | None
    status: Literal["free", "taken"]


class ProfileIn(BaseModel):
    full_name: Text200
    school: Text200
    region: Text200
    timezone: Annotated[str, Field(min_length=1, max_length=64, examples=["Europe/Samara"])]
    topics: Annotated[list[str], Field(max_length=30)]
    formats: Annotated[list[FormatName], Field(min_length=1, max_length=3)]
    place: Place
    about: Annotated[str, Field(max_length=2000)] = ""


class RuleIn(BaseModel):
    weekday: Annotated[int, Field(ge=1, le=7, description="1 = понедельник … 7 = воскресенье")]
    start: time = Field(description="Local wall-clock time, e.g. 10:00")
    duration_minutes: int = 45
    formats: Annotated[list[FormatName], Field(min_length=1, max_length=3)]
    place: Place


class ScheduleIn(BaseModel):
    rules: Annotated[list[RuleIn], Field(max_length=200)]
    exceptions: Annotated[list[date], Field(max_length=366, description="Days without slots")] = []


class ScheduleOut(BaseModel):
    timezone: str
    rules: list[RuleIn]
    exceptions: list[date]


class SlotIn(BaseModel):
    starts_at: datetime = Field(
        description="ISO 8601; without an offset it is read in the psychologist's time zone"
    )
    duration_minutes: int = 45
    formats: Annotated[list[FormatName], Field(min_length=1, max_length=3)]
    place: Place
