"""`python -m psy_sessions`: migrate, then serve."""

from pathlib import Path

from psy_platform.service import serve

from psy_sessions.app import create_app
from psy_sessions.config import SessionsSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def main() -> None:
    settings = SessionsSettings()
    app = create_app(settings)
    serve(app, app.state.runtime, MIGRATIONS)


if __name__ == "__main__":
    main()
