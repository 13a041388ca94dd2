"""Memory: RSS of every service process idle, and of booking + notify under booking load,
next to a bare uvicorn app measured in the same run. Target ≤ 150 MB each.

    uv run python -m bench memory [--quick]

Each service runs as its own process (`python -m psy_<name>`) on a free
port with its own database and topic prefix; RSS is VmRSS from /proc/<pid>/status. «idle» is
sampled after start-up has settled (migrations done, consumers joined, a few seconds of
nothing). «under load» is the peak over a closed-loop POST /bookings run (8 workers, as in
scenario 1) and the time notify then needs to send every confirmation e-mail it caused (to a
private sink). Baseline: `python -c "import fastapi, uvicorn; …"` serving one route.
"""

import asyncio
import sys
import time
from pathlib import Path

import httpx

from bench.booking import Issuer, closed_loop
from bench.fanout import Fleet
from bench.procs import Service, Services, free_port, rss_mb, wait_healthy
from bench.sink import Sink

HERE = Path(__file__).resolve().parent
TARGET_MB = 150
NAMES = ["identity", "catalog", "booking", "notify", "sessions", "portal"]
BARE_APP = """
import sys, fastapi, uvicorn
app = fastapi.FastAPI()
@app.get("/healthz")
def healthz():
    return {"status": "ok"}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


async def bare_uvicorn() -> float:
    port = free_port()
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", BARE_APP, str(port))
    try:
        await wait_healthy(Service("bare", process, f"http://127.0.0.1:{port}", None))
        await asyncio.sleep(2)
        return rss_mb(process.pid)
    finally:
        process.terminate()
        await process.wait()


async def under_load(fleet: Fleet, requests: int) -> dict[str, float]:
    """Peak RSS of booking and notify while booking is loaded and notify drains what it caused."""
    watched = {n: fleet.services.started[n].process.pid for n in ("booking", "notify")}
    peak = {n: rss_mb(pid) for n, pid in watched.items()}
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            for n, pid in watched.items():
                peak[n] = max(peak[n], rss_mb(pid))
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    slots, parents = await fleet.people(requests)
    base = fleet.services.started["booking"].base

    async def send(client: httpx.AsyncClient, i: int) -> httpx.Response:
        return await fleet.book(client, slots[i], parents[i])

    run = await closed_loop(base, send, 0, requests, 8)
    wanted = {fleet.address(p) for p in parents}
    deadline = time.monotonic() + 30 + requests / 20
    while not wanted <= fleet.sink.arrivals.keys() and time.monotonic() < deadline:
        fleet.sink.read()
        await asyncio.sleep(0.2)
    done.set()
    await sampler
    peak["rate"] = run.rate
    peak["arrived"] = len(wanted & fleet.sink.arrivals.keys())
    return peak


async def main(quick: bool = False) -> str:
    from fastapi import FastAPI

    from tests.support.serve import serving

    requests = 30 if quick else 1000
    baseline = await bare_uvicorn()
    issuer = Issuer()
    jwks = FastAPI()
    jwks.get("/.well-known/jwks.json")(issuer.jwks)
    idle: dict[str, float] = {}
    async with serving(jwks) as jwks_base, Sink(HERE / "out") as sink:
        async with Services(f"{jwks_base}/.well-known/jwks.json") as services:
            # quick: only the two the load touches (a smoke of the harness, not a figure)
            names = ["booking", "notify"] if quick else NAMES[:-1]
            await asyncio.gather(
                *(
                    services.start(n, **({"smtp_port": str(sink.port)} if n == "notify" else {}))
                    for n in names
                )
            )
            if not quick:
                urls = {f"{n}_url": services.started[n].base for n in names}
                await services.start("portal", **urls)
            await asyncio.sleep(1 if quick else 10)  # settle: consumers joined, caches warm
            idle = {n: rss_mb(s.process.pid) for n, s in services.started.items()}
            fleet = Fleet(services, sink, issuer, f"mem{time.time_ns() % 10**6}")
            await fleet.producer.start()
            try:
                loaded = await under_load(fleet, requests)
            finally:
                await fleet.producer.stop()
    return report(idle, loaded, baseline, requests)


def report(idle: dict[str, float], loaded: dict[str, float], baseline: float, n: int) -> str:
    lines = [
        "## memory — RSS of each service process",
        "",
        "VmRSS, MB. Baseline: a bare FastAPI+uvicorn process in the same run: "
        f"**{baseline:.0f} MB**."
        f" «under load»: peak over {n} closed-loop POST /bookings (8 workers, "
        f"{loaded['rate']:.0f} bookings/s) and notify sending the {int(loaded['arrived'])} booker "
        "confirmations (+ the psychologists') they caused.",
        "",
        "| service | idle MB | under load MB | idle / bare uvicorn | ≤ 150 MB |",
        "|---|---:|---:|---:|:---:|",
    ]
    worst = 0.0
    for name, mb in idle.items():
        load = loaded.get(name)
        worst = max(worst, mb, load or 0)
        top = max(mb, load or 0)
        lines.append(
            f"| {name} | {mb:.0f} | {f'{load:.0f}' if load else '–'} | {mb / baseline:.1f}× | "
            f"{'yes' if top <= TARGET_MB else 'NO'} |"
        )
    verdict = "MET" if worst <= TARGET_MB else "MISSED"
    lines += ["", f"**Target ≤ {TARGET_MB} MB each: {verdict}** (largest {worst:.0f} MB)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(asyncio.run(main(quick="--quick" in sys.argv)))
