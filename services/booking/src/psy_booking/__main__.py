"""`python -m psy_booking`: migrate, then serve until SIGTERM."""

from pathlib import Path

from psy_platform.service import serve

from psy_booking.app import create_app
from psy_booking.config import BookingSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def main() -> None:
    settings = BookingSettings()
    app = create_app(settings)
    serve(app, app.state.runtime, MIGRATIONS)


if __name__ == "__main__":
    main()
