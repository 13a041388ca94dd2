from psy_platform.migrations import run_env
from psy_sessions.store import metadata

run_env(metadata)
