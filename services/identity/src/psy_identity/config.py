"""Identity settings (environment prefix IDENTITY_). Defaults work with the local stack."""

from psy_platform.settings import ServiceSettings, settings_config


class IdentitySettings(ServiceSettings):
    model_config = settings_config("IDENTITY_")

    port: int = 8001
    database_url: str = "postgresql+asyncpg://psy@127.0.0.1:15432/psy_identity"
    # Where identity itself is reachable by browsers (ESIA and VK ID redirect back here).
    public_url: str = "http://127.0.0.1:8001"

    esia_url: str = "http://127.0.0.1:8009"
    # The `iss` of ESIA's ID tokens; empty means "<esia_url>/".
    esia_issuer: str = ""
    esia_client_id: str = "psy-identity"
    esia_client_secret: str = "local-dev-secret"
    esia_scope: str = "openid fullname birthdate email contacts kid_fullname kid_birthdate"

    vkid_url: str = "http://127.0.0.1:8009/vkid"
    vkid_client_id: str = "psy-identity"

    # Comma-separated ESIA oids whose new accounts are administrators.
    admin_oids: str = "1000090"
    # Comma-separated URL prefixes a login may return to (each must end with "/").
    return_to_prefixes: str = "http://127.0.0.1:8000/"
    # Outside production any http://127.0.0.1:<port>/ is accepted too (dev servers, tests).
    allow_loopback_return_to: bool = True

    access_ttl_seconds: int = 900
    refresh_ttl_seconds: int = 30 * 24 * 3600
    ticket_ttl_seconds: int = 60
    login_state_ttl_seconds: int = 600

    signing_key_rotate_days: float = 30
    # A new key is published this long before it signs, so every verifier can have fetched it.
    signing_key_activation_seconds: float = 60
    keyring_refresh_seconds: float = 30

    # Every Redis key of this service starts with it (tests give each run its own).
    redis_prefix: str = "identity:"

    login_limit_per_ip: int = 30
    login_limit_per_account: int = 10
    login_limit_window_seconds: int = 60

    @property
    def esia_expected_issuer(self) -> str:
        return self.esia_issuer or self.esia_url.rstrip("/") + "/"

    @property
    def admin_oid_set(self) -> frozenset[str]:
        return frozenset(o.strip() for o in self.admin_oids.split(",") if o.strip())

    @property
    def return_to_prefix_list(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.return_to_prefixes.split(",") if p.strip())

    @property
    def loopback_return_to(self) -> bool:
        return self.allow_loopback_return_to and self.env != "production"
