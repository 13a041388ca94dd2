"""Shared plumbing of the scenarios: free ports, throwaway databases, service processes, RSS.

Every scenario starts its OWN service processes (`python -m psy_<name>`) on free ports with its
own databases and a run-unique Kafka topic prefix, against the shared PostgreSQL/Kafka/Redis:
the stack on 8000–8005 is left alone.
"""

import asyncio
import os
import socket
import sys
import uuid
from dataclasses import dataclass, field

import asyncpg
import httpx

ADMIN_URL = os.environ.get("PSY_PG_ADMIN_URL", "postgresql://psy@127.0.0.1:15432/postgres")
KAFKA = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:16379/0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raw_url(name: str) -> str:
    return f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def sa_url(name: str) -> str:
    return raw_url(name).replace("postgresql://", "postgresql+asyncpg://", 1)


async def create_database(name: str) -> str:
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return raw_url(name)


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


@dataclass
class Service:
    name: str
    process: asyncio.subprocess.Process
    base: str
    database: str | None


@dataclass
class Services:
    """Starts service processes for one run; stops them and drops their databases on exit."""

    jwks_url: str
    prefix: str = field(default_factory=lambda: f"bench{uuid.uuid4().hex[:6]}.")
    started: dict[str, Service] = field(default_factory=dict)

    async def start(self, name: str, **extra: str) -> Service:
        upper = name.upper()
        port = free_port()
        database = None
        env = {
            **os.environ,
            f"{upper}_PORT": str(port),
            f"{upper}_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
            f"{upper}_KAFKA_TOPIC_PREFIX": self.prefix,
            f"{upper}_REDIS_URL": REDIS,
            f"{upper}_JWKS_URL": self.jwks_url,
            f"{upper}_LOG_LEVEL": "WARNING",
            **{f"{upper}_{k.upper()}": v for k, v in extra.items()},
        }
        if name != "portal":  # the portal keeps no database of its own
            database = f"psy_bench_{name}_{uuid.uuid4().hex[:6]}"
            await create_database(database)
            env[f"{upper}_DATABASE_URL"] = sa_url(database)
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", f"psy_{name}", env=env)
        service = Service(name, process, f"http://127.0.0.1:{port}", database)
        self.started[name] = service
        await wait_healthy(service)
        return service

    async def stop(self) -> None:
        for service in self.started.values():
            if service.process.returncode is None:
                service.process.terminate()
        for service in self.started.values():
            try:
                await asyncio.wait_for(service.process.wait(), 30)
            except TimeoutError:
                service.process.kill()
            if service.database:
                await drop_database(service.database)
        self.started.clear()

    async def __aenter__(self) -> "Services":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()


async def wait_healthy(service: Service) -> None:
    async with httpx.AsyncClient(base_url=service.base, timeout=2) as client:
        for _ in range(1200):
            if service.process.returncode is not None:
                raise RuntimeError(f"{service.name} exited with {service.process.returncode}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{service.name} at {service.base} did not become healthy")
