"""`make bench`: runs every scenario, each next to its own baseline from the same run, and
writes bench/RESULTS.md (machine, date, one table per scenario) plus charts.

A scenario is a module bench/<name>.py with `async def main(quick: bool) -> str` returning its
Markdown section; a scenario with a latency-over-load series leaves it in a module-level
`SERIES = {label: [(load per s, p50 ms, p95 ms, p99 ms), …]}` that the harness charts
(bench/latency.png). `python -m bench --quick` is the seconds-long smoke that CI may run
(tiny sizes; writes bench/out/quick.md and bench/out/latency-quick.png).
"""

import argparse
import asyncio
import importlib
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = ["booking", "fanout", "burst", "search", "memory", "mail"]


def machine() -> str:
    def version(cmd: list[str]) -> str:
        try:
            return (
                subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
            )
        except (OSError, IndexError):
            return "?"

    mem_kb = int(
        next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    )
    return "\n".join(
        [
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- cores: {os.cpu_count()}, memory: {mem_kb / 2**20:.0f} GiB, {platform.platform()}",
            f"- Python {platform.python_version()}, {version(['psql', '--version'])}, "
            f"{version(['redis-server', '--version'])}",
            "- Apache Kafka 4.3.0 (KRaft, single node, 512 MiB heap), all on this one machine",
        ]
    )


CHARTED = {"booking": "1 · booking: POST /bookings vs bare INSERT", "fanout": "2 · fan-out"}


def chart(
    series: dict[str, dict[str, list[tuple[float, float, float, float]]]], path: Path
) -> None:
    """Latency percentiles over load, one panel per scenario (1: booking, 2: fan-out)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [name for name in CHARTED if series.get(name)]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.5), squeeze=False)
    for ax, name in zip(axes[0], panels, strict=True):
        for label, points in series[name].items():
            points = sorted(points)
            x = [p[0] for p in points]
            line = ax.plot(x, [p[3] for p in points], marker="o", label=f"{label} p99")[0]
            ax.plot(x, [p[1] for p in points], marker=".", linestyle="--",
                    color=line.get_color(), label=f"{label} p50")  # fmt: skip
        ax.set_title(CHARTED[name])
        ax.set_xlabel("load, requests (bookings) per second")
        ax.set_ylabel("latency, ms")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


SERIES: dict[str, dict[str, list[tuple[float, float, float, float]]]] = {}


async def run(names: list[str], quick: bool) -> str:
    sections = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.monotonic()
        print(f"[bench] {name}…", flush=True)
        try:
            section = await module.main(quick=quick)
            SERIES[name] = dict(getattr(module, "SERIES", {}))
        except Exception as exc:  # a failed scenario is reported, the others still run
            section = f"## {name}\n\nFAILED: {type(exc).__name__}: {exc}\n"
        sections.append(f"{section.rstrip()}\n\n_{time.monotonic() - started:.0f} s_\n")
    return "\n".join(sections)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="seconds-long smoke of the harness")
    parser.add_argument("scenarios", nargs="*", default=[])
    args = parser.parse_args()
    names = args.scenarios or [s for s in SCENARIOS if (HERE / f"{s}.py").exists()]
    body = asyncio.run(run(names, args.quick))
    report = f"# Benchmark results\n\n{machine()}\n\n{body}"
    target = HERE / ("out/quick.md" if args.quick else "RESULTS.md")
    target.parent.mkdir(exist_ok=True)
    target.write_text(report, encoding="utf-8")
    chart(SERIES, HERE / ("out/latency-quick.png" if args.quick else "latency.png"))
    print(report)
    sys.exit(0)


if __name__ == "__main__":
    main()
