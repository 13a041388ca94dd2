from psy_catalog.store import metadata
from psy_platform.migrations import run_env

run_env(metadata)
