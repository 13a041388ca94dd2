"""Settings of the sessions service (environment prefix SESSIONS_)."""

from datetime import timedelta

from psy_platform.settings import ServiceSettings, settings_config
from pydantic import model_validator

DEV_LINK_SECRET = "dev-only-join-link-secret-change-me"


class SessionsSettings(ServiceSettings):
    model_config = settings_config("SESSIONS_")

    port: int = 8005
    database_url: str = "postgresql+asyncpg://psy@127.0.0.1:15432/psy_sessions"
    # Where participants reach this service: the e-mailed join links point here.
    public_url: str = "http://127.0.0.1:8005"
    # Signs the per-participant join links; a leaked secret lets anyone forge a join.
    link_secret: str = DEV_LINK_SECRET
    # The room provider (Сферум). Locally the simulator; refused in production by the base class.
    sferum_url: str = "http://127.0.0.1:8009/sferum"
    sferum_timeout_seconds: float = 10.0

    # «Ссылка на консультацию приходит всем участникам за 15 минут до начала».
    link_lead_minutes: int = 15
    # Rooms are opened this long before the start, so the T-15 burst does not wait on Сферум.
    room_lead_minutes: int = 60
    room_poll_seconds: float = 5.0
    # After the end plus this, sessions decides attended or «пропуск».
    outcome_grace_minutes: int = 10

    dispatch_batch_size: int = 100
    dispatch_poll_seconds: float = 1.0
    # Room requests in flight at once per dispatcher batch.
    room_concurrency: int = 20
    outcome_batch_size: int = 200
    outcome_poll_seconds: float = 5.0

    @model_validator(mode="after")
    def _real_secret_in_production(self) -> "SessionsSettings":
        if self.env == "production" and self.link_secret == DEV_LINK_SECRET:
            raise ValueError("SESSIONS_LINK_SECRET must be set in production")
        return self

    @property
    def link_lead(self) -> timedelta:
        return timedelta(minutes=self.link_lead_minutes)

    @property
    def room_lead(self) -> timedelta:
        return timedelta(minutes=self.room_lead_minutes)

    @property
    def outcome_grace(self) -> timedelta:
        return timedelta(minutes=self.outcome_grace_minutes)
