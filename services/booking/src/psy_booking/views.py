"""A booking as the API shows it: times in the psychologist's zone, contents only to who may."""

from typing import Any

from psy_booking.context import zone
from psy_booking.domain import Visibility


def booking_json(row: Any, seen: Visibility = "full") -> dict[str, Any]:
    tz = zone(row.timezone)
    contents = seen == "full"
    return {
        "id": str(row.id),
        "status": row.status,
        "slot_id": str(row.slot_id),
        "psychologist_id": str(row.psychologist_id),
        "starts_at": row.starts_at.astimezone(tz).isoformat(),
        "ends_at": row.ends_at.astimezone(tz).isoformat(),
        "timezone": row.timezone,
        "format": row.format,
        "place": row.place,
        "topics": list(row.topics) if contents else None,
        "comment": row.comment if contents else None,
        "participant_id": str(row.participant_id),
        "participant_kind": row.participant_kind,
        "booked_by": str(row.booked_by),
        "cancel_reason": row.cancel_reason,
        "cancelled_by": str(row.cancelled_by) if row.cancelled_by else None,
    }
