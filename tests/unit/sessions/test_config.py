"""Production settings refuse what only makes sense locally."""

import pytest
from psy_sessions.config import SessionsSettings
from pydantic import ValidationError


def test_production_refuses_the_development_link_secret() -> None:
    with pytest.raises(ValidationError, match="SESSIONS_LINK_SECRET"):
        SessionsSettings(env="production", sferum_url="https://sferum.example/api")


def test_production_refuses_the_sferum_simulator() -> None:
    with pytest.raises(ValidationError, match="simulator"):
        SessionsSettings(env="production", link_secret="s3cret-from-vault")


def test_production_with_real_endpoints_is_accepted() -> None:
    settings = SessionsSettings(
        env="production",
        link_secret="s3cret-from-vault",
        sferum_url="https://sferum.example/api",
        jwks_url="https://id.example/.well-known/jwks.json",
        public_url="https://psy.example/sessions",
    )
    assert settings.link_lead.total_seconds() == 15 * 60
