"""A private SMTP sink for the benchmarks: its own process, every arrival timestamped.

    python -m bench.sink PORT FILE

aiosmtpd accepts every message; each recipient's arrival is appended to FILE as
"<unix time> <address>" and flushed at once, so the benchmark reads the timestamps the sink took
(not when it happened to poll). Its own process, so the sink's CPU is not the load generator's,
and the shared sink the browser tests read (port 1025) gets none of the benchmark's thousands.
"""

import asyncio
import sys
import time
from pathlib import Path

import aiosmtplib
from aiosmtpd.controller import Controller

from bench.procs import free_port


class Stamp:
    def __init__(self, path: str) -> None:
        self._out = open(path, "a", encoding="utf-8")

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        now = time.time()
        self._out.write("".join(f"{now:.6f} {to}\n" for to in envelope.rcpt_tos))  # type: ignore[attr-defined]
        self._out.flush()
        return "250 OK"


def serve(port: int, path: str) -> None:
    controller = Controller(Stamp(path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


class Sink:
    """Starts the sink process; reads back who arrived when."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"sink-{self.port}.log"
        self.path.write_text("")
        self._process: asyncio.subprocess.Process | None = None
        self._offset = 0
        self.arrivals: dict[str, float] = {}
        self.count = 0

    async def __aenter__(self) -> "Sink":
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.sink", str(self.port), str(self.path)
        )
        for _ in range(200):
            try:
                smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=self.port, timeout=2)
                await smtp.connect()
                await smtp.quit()
                return self
            except (aiosmtplib.SMTPException, OSError):
                await asyncio.sleep(0.05)
        raise RuntimeError("the private SMTP sink did not start")

    async def __aexit__(self, *_: object) -> None:
        if self._process and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()
        self.path.unlink(missing_ok=True)

    def read(self) -> dict[str, float]:
        """New arrivals since the last read (also kept in self.arrivals, first arrival wins)."""
        with open(self.path, "rb") as f:
            f.seek(self._offset)
            chunk = f.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        fresh = {}
        for line in complete.decode().splitlines():
            at, to = line.split(" ", 1)
            self.count += 1
            if to not in self.arrivals:
                self.arrivals[to] = fresh[to] = float(at)
        return fresh


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
