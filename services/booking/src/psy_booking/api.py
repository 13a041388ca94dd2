"""HTTP routes of the booking service (ARCHITECTURE §8): translate, call one use case, answer."""

import uuid
from collections.abc import Awaitable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, Request, Response
from psy_platform.auth import CurrentUser
from pydantic import BaseModel, Field

from psy_booking import booking_flow, changes, holding, reading
from psy_booking.context import UseCases
from psy_booking.domain import Refusal
from psy_booking.refusals import api_error
from psy_booking.views import booking_json

router = APIRouter()
T = TypeVar("T")


async def use_cases(request: Request) -> UseCases:
    return request.app.state.use_cases  # type: ignore[no-any-return]


Cases = Annotated[UseCases, Depends(use_cases)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


async def answer(call: Awaitable[T]) -> T:
    try:
        return await call
    except Refusal as refusal:
        raise api_error(refusal) from refusal


class HoldIn(BaseModel):
    slot_id: uuid.UUID


class HoldOut(BaseModel):
    id: uuid.UUID
    slot_id: uuid.UUID
    expires_at: str


class BookingIn(BaseModel):
    slot_id: uuid.UUID
    format: Literal["video", "chat", "in_person"]
    topics: Annotated[list[str], Field(min_length=1, max_length=50)]
    participant_id: uuid.UUID | None = None  # None = the caller
    # The limit is a setting, checked by the rules (comment_too_long), not by the schema.
    comment: str | None = None
    hold_id: uuid.UUID | None = None


class CancelIn(BaseModel):
    reason: str


class RescheduleIn(BaseModel):
    slot_id: uuid.UUID


@router.post("/holds", status_code=201, response_model=HoldOut)
async def hold(body: HoldIn, user: CurrentUser, uc: Cases) -> HoldOut:
    held = await answer(holding.hold_slot(uc, user, body.slot_id))
    return HoldOut(id=held.id, slot_id=held.slot_id, expires_at=held.expires_at.isoformat())


@router.delete("/holds/{hold_id}", status_code=204)
async def release(hold_id: uuid.UUID, user: CurrentUser, uc: Cases) -> Response:
    await answer(holding.release_hold(uc, user, hold_id))
    return Response(status_code=204)


@router.post("/bookings", status_code=201)
async def create(
    body: BookingIn, user: CurrentUser, uc: Cases, response: Response, key: IdempotencyKey = None
) -> dict[str, Any]:
    """The same key and body again answer 201 with the same booking (header
    Idempotent-Replayed: true); the same key with another body is refused."""
    booked = await answer(
        booking_flow.book(uc, user, key, booking_flow.BookingRequest(**body.model_dump()))
    )
    if booked.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return booking_json(booked.row)


@router.get("/bookings")
async def list_bookings(user: CurrentUser, uc: Cases) -> dict[str, Any]:
    return {"items": await answer(reading.my_bookings(uc, user))}


@router.get("/bookings/{booking_id}")
async def get_booking(booking_id: uuid.UUID, user: CurrentUser, uc: Cases) -> dict[str, Any]:
    return await answer(reading.one_booking(uc, user, booking_id))


@router.post("/bookings/{booking_id}/cancel")
async def cancel(
    booking_id: uuid.UUID, body: CancelIn, user: CurrentUser, uc: Cases
) -> dict[str, Any]:
    return booking_json(await answer(changes.cancel(uc, user, booking_id, body.reason)))


@router.post("/bookings/{booking_id}/reschedule")
async def reschedule(
    booking_id: uuid.UUID, body: RescheduleIn, user: CurrentUser, uc: Cases
) -> dict[str, Any]:
    return booking_json(await answer(changes.reschedule(uc, user, booking_id, body.slot_id)))
