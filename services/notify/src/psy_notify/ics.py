"""Calendar attachments (RFC 5545 / iTIP): REQUEST on confirmation and reschedule, CANCEL on
cancellation. One stable UID per booking, so calendars update the same entry; SEQUENCE grows
with every change."""

from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

from psy_notify.domain import FORMAT_TITLES, Booking, IcsMethod


def booking_uid(booking: Booking) -> str:
    return f"booking-{booking.booking_id}@psy"


def calendar(
    booking: Booking,
    method: IcsMethod,
    organizer_email: str,
    attendee_email: str | None,
    stamp: datetime | None = None,
) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Цифровой психолог//notify//RU")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.ics_sequence)
    event.add("dtstamp", stamp or datetime.now(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("summary", f"Консультация психолога ({FORMAT_TITLES.get(booking.format, '')})")
    if booking.format == "in_person":
        event.add("location", booking.place or "")
    else:
        event.add("location", "Онлайн: «Мои записи» → «Войти в Сферум»")
        event.add(
            "description",
            "Ссылка придёт за 15 минут до начала. Подключайтесь только через сервис «Цифровой "
            "психолог», иначе консультация будет засчитана как «пропуск консультации».",
        )
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = vText("Цифровой психолог")
    event["organizer"] = organizer
    if attendee_email:
        attendee = vCalAddress(f"mailto:{attendee_email}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    return cal.to_ical()
