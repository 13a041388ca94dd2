"""`python -m psy_portal`: the web cabinet on PORTAL_PORT (8000)."""

import asyncio
import logging

import uvicorn
from psy_platform.logs import configure_logging

from psy_portal.app import create_app
from psy_portal.config import PortalSettings


def main() -> None:
    settings = PortalSettings()
    configure_logging("portal", settings.log_level)
    # One line per upstream call is noise at INFO; failures surface as pages and warnings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=20,
        proxy_headers=True,  # X-Forwarded-Proto from the ingress: https → Secure cookie
    )
    asyncio.run(uvicorn.Server(config).serve())


if __name__ == "__main__":
    main()
