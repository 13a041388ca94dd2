"""A service run as its own OS process, as in production: `python -m psy_<name>`."""

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from tests.support.kafka import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        prefix = name.upper() + "_"
        self.env = {**os.environ, **env, f"{prefix}PORT": str(self.port)}
        self.log = log_dir / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        out = self.log.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", f"psy_{self.name}", env=self.env, stdout=out, stderr=out
        )

        async def healthy() -> bool:
            assert self.proc is not None
            if self.proc.returncode is not None:
                raise AssertionError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(f"{self.url}/readyz")).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_until(healthy, timeout=60, interval=0.2)

    async def terminate(self, timeout: float = 40) -> int:
        """SIGTERM, as Kubernetes does; returns the exit code (0 = drained cleanly)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
