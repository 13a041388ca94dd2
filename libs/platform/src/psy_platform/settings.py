"""Settings base: every value comes from the environment (prefix <SERVICE>_)."""

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Subclass per service with `model_config = SettingsConfigDict(env_prefix="BOOKING_")`."""

    model_config = SettingsConfigDict(extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = "postgresql+asyncpg://psy@127.0.0.1:15432/psy"
    database_pool_size: int = 10
    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    # Prepended to every topic name: lets a test run, or a shared cluster, keep its own topics.
    kafka_topic_prefix: str = ""
    redis_url: str = "redis://127.0.0.1:16379/0"
    jwks_url: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    jwt_issuer: str = "psy-identity"
    jwt_audience: str = "psy"
    log_level: str = "INFO"
    outbox_batch_size: int = 200
    outbox_poll_seconds: float = 0.2
    consumer_max_attempts: int = 3

    # Names of settings that point at a local simulator; refused in production.
    simulator_markers: tuple[str, ...] = ("127.0.0.1:8009", "localhost:8009", "/simulators")

    @model_validator(mode="after")
    def _no_simulators_in_production(self) -> "ServiceSettings":
        if self.env != "production":
            return self
        for name, value in self.model_dump().items():
            if name == "simulator_markers" or not isinstance(value, str):
                continue
            if any(marker in value for marker in self.simulator_markers):
                raise ValueError(
                    f"{name} points at a local simulator ({value}); refused with ENV=production"
                )
        return self

    def topic(self, name: str) -> str:
        return f"{self.kafka_topic_prefix}{name}"


def settings_config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore")
