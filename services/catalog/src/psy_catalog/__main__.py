"""`python -m psy_catalog`: migrate, then serve the catalog."""

from psy_platform.service import serve

from psy_catalog.app import MIGRATIONS, create_app
from psy_catalog.config import CatalogSettings


def main() -> None:
    settings = CatalogSettings()
    app = create_app(settings)
    serve(app, app.state.runtime, MIGRATIONS)


if __name__ == "__main__":
    main()
