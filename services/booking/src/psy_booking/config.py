"""Settings of the booking service (environment prefix BOOKING_). Every rule's number is here."""

from psy_platform.settings import ServiceSettings, settings_config


class BookingSettings(ServiceSettings):
    model_config = settings_config("BOOKING_")

    port: int = 8003
    database_url: str = "postgresql+asyncpg://psy@127.0.0.1:15432/psy_booking"

    hold_seconds: int = 600  # how long step 5 («Данные консультации») keeps the slot for the user
    min_lead_minutes: int = 5  # a same-day slot is real help: book up to 5 minutes before start
    max_ahead_days: int = 30
    active_limit: int = 2  # confirmed future bookings per participant
    comment_max_chars: int = 1000
    reason_max_chars: int = 500
    self_booking_age: int = 14  # from this age a linked child books for themselves
