"""`python -m psy_notify`: migrate, then serve until SIGTERM."""

from psy_platform.service import serve

from psy_notify.app import MIGRATIONS, create_app
from psy_notify.config import NotifySettings


def main() -> None:
    settings = NotifySettings()
    app = create_app(settings)
    serve(app, app.state.service_runtime, MIGRATIONS)


if __name__ == "__main__":
    main()
