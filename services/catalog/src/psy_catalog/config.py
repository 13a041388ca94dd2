"""Catalog settings (environment prefix CATALOG_)."""

from psy_platform.settings import ServiceSettings, settings_config


class CatalogSettings(ServiceSettings):
    model_config = settings_config("CATALOG_")

    port: int = 8002
    database_url: str = "postgresql+asyncpg://psy@127.0.0.1:15432/psy_catalog"
    # Slots are generated from weekly rules this many local days ahead (the booking window).
    booking_window_days: int = 30
    # The generation worker runs at start and then every so often (idempotent).
    schedule_worker: bool = True
    schedule_interval_seconds: float = 24 * 3600
    # How often the nearest free slot kept per psychologist is refreshed once time overtakes it.
    nearest_refresh_seconds: float = 30
    search_max_page_size: int = 100
    # Word similarity (pg_trgm) a name part needs when nothing matched exactly (typos).
    search_typo_similarity: float = 0.5
    # How far ahead a psychologist may open a single slot.
    single_slot_horizon_days: int = 180
