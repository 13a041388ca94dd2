"""The portal's settings (env prefix PORTAL_); defaults work with the local stack."""

from psy_platform.settings import ServiceSettings, settings_config
from pydantic import model_validator

SAMARA_ADMIN = "Администратор регионального доступа по Самарской области"


class PortalSettings(ServiceSettings):
    model_config = settings_config("PORTAL_")

    port: int = 8000
    # Where the browser reaches the portal: the login return address and the Сферум return.
    public_url: str = "http://127.0.0.1:8000"
    identity_url: str = "http://127.0.0.1:8001"
    # Where the *browser* is sent for Госуслуги login; differs from identity_url behind a proxy.
    identity_public_url: str = ""
    catalog_url: str = "http://127.0.0.1:8002"
    booking_url: str = "http://127.0.0.1:8003"
    notify_url: str = "http://127.0.0.1:8004"
    sessions_url: str = "http://127.0.0.1:8005"
    http_timeout_seconds: float = 10.0

    # None: Secure when ENV=production or when the request came over https.
    cookie_secure: bool | None = None
    cookie_name: str = "psy_session"
    session_ttl_seconds: int = 8 * 3600
    # Refresh the access token this long before it expires, so a page never races the expiry.
    token_refresh_margin_seconds: int = 30

    region_admin_title: str = SAMARA_ADMIN
    region_admin_name: str = "ФИО администратора уточняется"
    region_admin_email: str = "не указан"
    region_admin_phone: str = "не указан"
    region_admin_messenger: str = ""
    support_email: str = "help-psy@edu.gov.ru"

    @model_validator(mode="after")
    def _defaults(self) -> "PortalSettings":
        if not self.identity_public_url:
            self.identity_public_url = self.identity_url
        if self.cookie_secure is None and self.env == "production":
            self.cookie_secure = True
        self.public_url = self.public_url.rstrip("/")
        return self

    def secure_cookie(self, request_scheme: str) -> bool:
        return bool(self.cookie_secure) or request_scheme == "https"
