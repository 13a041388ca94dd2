"""Where the real infrastructure is for this test run.

Order: explicit environment variables; else the local stack's components, started here
(`deploy/local/stack.py infra`, which installs what is missing). Testcontainers would slot in
between for machines with a Docker engine; ours have none, so it is not a dependency.
"""

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_stack():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("psy_stack", ROOT / "deploy/local/stack.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["psy_stack"] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Infra:
    pg_admin_url: str  # postgresql://user@host:port/postgres
    kafka: str
    redis_url: str
    smtp_host: str
    smtp_port: int
    smtp_sink_url: str
    local_stack: bool  # True when this run may stop and start the components itself

    def database_url(self, name: str) -> str:
        base = self.pg_admin_url.rsplit("/", 1)[0]
        return f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"


def discover() -> Infra:
    keys = ("PSY_PG_ADMIN_URL", "KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL", "SMTP_SINK_URL")
    stack = load_stack()
    if all(os.environ.get(k) for k in keys) and os.environ.get("PSY_TEST_OWN_STACK") != "1":
        env = dict(os.environ)
        local = env["KAFKA_BOOTSTRAP_SERVERS"] == stack.infra_env()["KAFKA_BOOTSTRAP_SERVERS"]
    else:
        stack.infra()
        env = {**stack.infra_env(), **{k: v for k, v in os.environ.items() if k in keys}}
        local = True
    return Infra(
        pg_admin_url=env["PSY_PG_ADMIN_URL"],
        kafka=env["KAFKA_BOOTSTRAP_SERVERS"],
        redis_url=env["REDIS_URL"],
        smtp_host=env.get("SMTP_HOST", "127.0.0.1"),
        smtp_port=int(env.get("SMTP_PORT", "1025")),
        smtp_sink_url=env["SMTP_SINK_URL"],
        local_stack=local,
    )
