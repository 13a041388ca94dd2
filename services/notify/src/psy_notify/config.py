"""Settings of the notify service (environment, prefix NOTIFY_)."""

from psy_platform.settings import ServiceSettings, settings_config


class NotifySettings(ServiceSettings):
    model_config = settings_config("NOTIFY_")

    port: int = 8004
    database_url: str = "postgresql+asyncpg://psy@127.0.0.1:15432/psy_notify"

    # SMTP: the local stack's sink by default; production sets a relay with STARTTLS or TLS + auth.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_use_tls: bool = False  # implicit TLS (port 465)
    smtp_start_tls: bool = False  # STARTTLS upgrade (port 587)
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Цифровой психолог <no-reply@psy.edu.ru>"

    # The sender worker.
    sender_batch_size: int = 50
    sender_poll_seconds: float = 0.5
    sender_lease_seconds: float = 60.0  # a claimed e-mail returns to the queue after this
    sender_max_attempts: int = 8
    sender_backoff_seconds: float = 2.0  # first retry delay, doubled per attempt
    sender_backoff_max_seconds: float = 120.0

    inbox_page_size: int = 20
    # Where «Мои записи» lives (named in the messages; the join button is there).
    portal_url: str = "http://127.0.0.1:8000"
