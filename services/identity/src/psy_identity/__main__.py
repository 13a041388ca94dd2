"""`python -m psy_identity`: migrate, then serve on IDENTITY_PORT (8001)."""

from pathlib import Path

from psy_platform.runtime import ServiceRuntime
from psy_platform.service import serve

from psy_identity.app import create_app
from psy_identity.config import IdentitySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def main() -> None:
    settings = IdentitySettings()
    app = create_app(settings)
    runtime: ServiceRuntime = app.state.identity_runtime
    serve(app, runtime, MIGRATIONS)


if __name__ == "__main__":
    main()
