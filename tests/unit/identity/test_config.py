"""Identity's settings: local defaults, and no simulator in production."""

import pytest
from psy_identity.config import IdentitySettings
from pydantic import ValidationError

REAL = {
    "esia_url": "https://esia.gosuslugi.ru",
    "vkid_url": "https://id.vk.com",
    "public_url": "https://id.psy.edu.ru",
    "return_to_prefixes": "https://psy.edu.ru/",
}


def test_production_refuses_the_simulators() -> None:
    with pytest.raises(ValidationError, match="simulator"):
        IdentitySettings(env="production", **{**REAL, "esia_url": "http://127.0.0.1:8009"})
    with pytest.raises(ValidationError, match="simulator"):
        IdentitySettings(env="production", **{**REAL, "vkid_url": "http://127.0.0.1:8009/vkid"})


def test_production_with_real_systems_starts_and_never_trusts_loopback() -> None:
    settings = IdentitySettings(env="production", **REAL)
    assert settings.esia_expected_issuer == "https://esia.gosuslugi.ru/"
    assert not settings.loopback_return_to
    assert settings.return_to_prefix_list == ("https://psy.edu.ru/",)


def test_defaults_fit_the_local_stack() -> None:
    settings = IdentitySettings()
    assert settings.port == 8001
    assert settings.database_url.endswith("/psy_identity")
    assert settings.esia_url == "http://127.0.0.1:8009"
    assert settings.admin_oid_set == frozenset({"1000090"})
    assert settings.loopback_return_to
