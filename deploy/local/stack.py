#!/usr/bin/env python3
"""The local stack: Kafka (KRaft), PostgreSQL, Redis, the SMTP sink, the simulators, the services.

Standard library only, because it is what installs everything else.

    python3 deploy/local/stack.py up        # everything, demo data, prints the portal URL
    python3 deploy/local/stack.py infra     # Kafka, PostgreSQL, Redis, SMTP sink (for tests)
    python3 deploy/local/stack.py deps      # only the Python environment (.venv) via uv
    python3 deploy/local/stack.py down | status | logs [NAME]

State (data, logs, pid files) lives in .stack/ at the repo root; the Kafka jars are cached in
~/.cache/psy-stack. Running `up` twice is harmless: what is healthy is left alone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATE = Path(os.environ.get("PSY_STACK_DIR", ROOT / ".stack"))
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "psy-stack"
KAFKA_VERSION = "4.3.0"
KAFKA_LIB = CACHE / f"kafka-{KAFKA_VERSION}" / "lib"

# Below Linux's ephemeral range (32768-60999): a client retrying a port in that range while its
# server is down can connect to itself and then hold the port the server needs to bind again.
PG_PORT = int(os.environ.get("PSY_PG_PORT", "15432"))
REDIS_PORT = int(os.environ.get("PSY_REDIS_PORT", "16379"))
KAFKA_PORT = int(os.environ.get("PSY_KAFKA_PORT", "19092"))
SMTP_PORT, SMTP_HTTP_PORT, SIMULATORS_PORT = 1025, 8025, 8009
SERVICES = {  # name: port, in start order
    "identity": 8001,
    "catalog": 8002,
    "booking": 8003,
    "notify": 8004,
    "sessions": 8005,
    "portal": 8000,
}
APT_PACKAGES = {  # package: what shows it is installed
    "redis-server": "redis-server",
    "postgresql": "/usr/lib/postgresql",
    "chromium": "/usr/bin/chromium",  # the browser the e2e tests drive (never a downloaded one)
}


def say(msg: str) -> None:
    print(f"[stack] {msg}", flush=True)


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, **kw)  # type: ignore[call-overload,no-any-return]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status < 500)
    except Exception:
        return False


def wait_for(what: str, check, seconds: float, log: Path | None = None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise SystemExit(f"[stack] {what} did not become healthy in {seconds:.0f}s\n{tail}")


# ---------------------------------------------------------------- installing what is missing


def ensure_packages() -> None:
    missing = [
        pkg
        for pkg, probe in APT_PACKAGES.items()
        if not (shutil.which(probe) or Path(probe).exists())
    ]
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"[stack] please install: apt-get install {' '.join(missing)}")
    say(f"installing {', '.join(missing)} with apt (first run only)…")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)
    # Debian starts its own cluster and Redis on the default ports; ours use other ports.


def uv_command() -> list[str]:
    """uv, installed with pip on first use. pip puts it next to the base interpreter, where a new
    shell may not look yet (a pyenv shim appears only after a rehash) and where the tests, run
    from .venv, would not look either."""
    base_bin = Path(sys.base_prefix) / "bin"
    found = shutil.which("uv") or shutil.which("uv", path=str(base_bin))
    if found:
        return [found]
    say("installing uv with pip (first run only)…")
    python = sys.executable if sys.prefix == sys.base_prefix else str(base_bin / "python3")
    run([python, "-m", "pip", "install", "-q", "uv"])
    return [python, "-m", "uv"]


def ensure_python_env() -> None:
    flags = ["--locked"] if os.environ.get("CI") else []
    say("syncing Python dependencies with uv…")
    run([*uv_command(), "sync", "-q", *flags], cwd=ROOT)


def venv_python() -> str:
    return str(ROOT / ".venv" / "bin" / "python")


def ensure_kafka_jars() -> None:
    if (KAFKA_LIB / f"kafka_2.13-{KAFKA_VERSION}.jar").exists():
        return
    say(f"fetching Apache Kafka {KAFKA_VERSION} jars from Maven Central (first run only)…")
    KAFKA_LIB.mkdir(parents=True, exist_ok=True)
    run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(ROOT / "deploy/local/kafka/pom.xml"),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={KAFKA_LIB}",
        ]
    )


# ---------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    cmd: list[str]
    healthy: object  # () -> bool
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 60

    @property
    def pidfile(self) -> Path:
        return STATE / "run" / f"{self.name}.pid"

    @property
    def log(self) -> Path:
        return STATE / "logs" / f"{self.name}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def start(self) -> None:
        if self.pid() and self.healthy():  # type: ignore[operator]
            say(f"{self.name}: already running")
            return
        self.stop()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                self.cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        self.pidfile.write_text(str(proc.pid))
        wait_for(self.name, self.healthy, self.timeout, self.log)
        say(f"{self.name}: up")

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            self.pidfile.unlink(missing_ok=True)
            return
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.pid():
            time.sleep(0.2)
        if self.pid():
            os.killpg(pid, signal.SIGKILL)
        self.pidfile.unlink(missing_ok=True)
        say(f"{self.name}: stopped")


def pg_bin(tool: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise SystemExit("[stack] PostgreSQL binaries not found under /usr/lib/postgresql")
    return str(versions[-1] / tool)


def as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Postgres:
    name = "postgres"
    data = STATE / "pg" / "data"
    log = STATE / "logs" / "postgres.log"

    def healthy(self) -> bool:
        return (
            subprocess.run(
                [pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(PG_PORT)], capture_output=True
            ).returncode
            == 0
        )

    def start(self) -> None:
        if self.healthy():
            say("postgres: already running")
            return
        self.log.parent.mkdir(parents=True, exist_ok=True)
        if not (self.data / "PG_VERSION").exists():
            self.data.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.data.parent, "postgres")
                shutil.chown(self.data, "postgres")
            # Loopback only, trust auth: a developer's throwaway cluster, never production.
            run(
                as_postgres(
                    [
                        pg_bin("initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        "psy",
                        "--auth=trust",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                stdout=subprocess.DEVNULL,
            )
        if os.geteuid() == 0:
            self.log.touch()
            shutil.chown(self.log, "postgres")
        opts = (
            f"-p {PG_PORT} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=400 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        run(
            as_postgres(
                [
                    pg_bin("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    opts,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            stdout=subprocess.DEVNULL,
        )
        wait_for("postgres", self.healthy, 30, self.log)
        say("postgres: up")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
                capture_output=True,
            )
            say("postgres: stopped")

    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


def kafka_proc() -> Proc:
    data = STATE / "kafka" / "data"
    props = STATE / "kafka" / "server.properties"
    props.parent.mkdir(parents=True, exist_ok=True)
    props.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@127.0.0.1:{KAFKA_PORT + 1}",
                f"listeners=PLAINTEXT://127.0.0.1:{KAFKA_PORT},"
                f"CONTROLLER://127.0.0.1:{KAFKA_PORT + 1}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{KAFKA_PORT}",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                f"log.dirs={data}",
                "num.partitions=6",
                "auto.create.topics.enable=true",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=10",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "log.retention.hours=24",
                "",
            ]
        )
    )
    classpath = f"{KAFKA_LIB}/*"
    java = [
        "java",
        "-Xms256m",
        "-Xmx512m",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j.configuration=file:{ROOT / 'deploy/local/kafka/log4j.properties'}",
        "-cp",
        classpath,
    ]
    if not (data / "meta.properties").exists():
        data.mkdir(parents=True, exist_ok=True)
        run(
            [
                *java,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                str(uuid.uuid4()).replace("-", "")[:22],
                "-c",
                str(props),
                "--ignore-formatted",
            ],
            stdout=subprocess.DEVNULL,
        )
    return Proc(
        "kafka",
        [*java, "kafka.Kafka", str(props)],
        healthy=lambda: port_open(KAFKA_PORT),
        timeout=90,
    )


def redis_proc() -> Proc:
    # No persistence: Redis holds nothing whose loss loses data.
    return Proc(
        "redis",
        [
            "redis-server",
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxclients",
            "4000",
        ],
        healthy=lambda: port_open(REDIS_PORT),
    )


def smtp_sink_proc() -> Proc:
    return Proc(
        "smtp-sink",
        [venv_python(), "-m", "psy_localstack.smtp_sink"],
        healthy=lambda: (
            http_ok(f"http://127.0.0.1:{SMTP_HTTP_PORT}/messages") and port_open(SMTP_PORT)
        ),
    )


def simulators_proc() -> Proc:
    return Proc(
        "simulators",
        [venv_python(), "-m", "psy_localstack.simulators"],
        healthy=lambda: http_ok(f"http://127.0.0.1:{SIMULATORS_PORT}/demo/people"),
    )


def infra_env() -> dict[str, str]:
    """What tests and services need to find the infrastructure."""
    return {
        "PSY_PG_ADMIN_URL": f"postgresql://psy@127.0.0.1:{PG_PORT}/postgres",
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{KAFKA_PORT}",
        "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(SMTP_PORT),
        "SMTP_SINK_URL": f"http://127.0.0.1:{SMTP_HTTP_PORT}",
    }


def service_env(name: str, port: int) -> dict[str, str]:
    p = name.upper() + "_"
    return {
        f"{p}PORT": str(port),
        f"{p}DATABASE_URL": f"postgresql+asyncpg://psy@127.0.0.1:{PG_PORT}/psy_{name}",
        f"{p}KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{KAFKA_PORT}",
        f"{p}REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
    }


def service_procs() -> list[Proc]:
    procs = []
    for name, port in SERVICES.items():
        if not (ROOT / "services" / name / "src" / f"psy_{name}" / "__main__.py").exists():
            continue
        procs.append(
            Proc(
                name,
                [venv_python(), "-m", f"psy_{name}"],
                healthy=lambda port=port: http_ok(f"http://127.0.0.1:{port}/healthz"),
                env=service_env(name, port),
                timeout=120,
            )
        )
    return procs


def infra_procs() -> list[object]:
    return [Postgres(), kafka_proc(), redis_proc(), smtp_sink_proc()]


# ---------------------------------------------------------------- commands


def infra() -> None:
    started = time.monotonic()
    ensure_packages()
    ensure_python_env()
    ensure_kafka_jars()
    for proc in infra_procs():
        proc.start()  # type: ignore[attr-defined]
    say(f"infrastructure ready in {time.monotonic() - started:.0f}s")
    write_env_file()


def write_env_file() -> None:
    env_file = STATE / "env"
    env_file.write_text("".join(f"export {k}={v}\n" for k, v in infra_env().items()))


def up() -> None:
    infra()
    if (ROOT / "deploy/local/src/psy_localstack/simulators/__main__.py").exists():
        simulators_proc().start()
    for proc in service_procs():
        proc.start()
    demo = ROOT / "deploy/local/src/psy_localstack/demo_load.py"
    if demo.exists():
        say("loading demo data…")
        catalog_env = service_env("catalog", SERVICES["catalog"])
        run([venv_python(), "-m", "psy_localstack.demo_load"], env={**os.environ, **catalog_env})
    status()
    if "portal" in {p.name for p in service_procs()}:
        say(f"portal: http://127.0.0.1:{SERVICES['portal']}/")
        say("demo logins (press «Войти через Госуслуги», then pick the person on the simulator):")
        for who in DEMO_LOGINS:
            print(f"    {who}")
        say(
            f"all demo people: http://127.0.0.1:{SIMULATORS_PORT}/demo/people; "
            f"e-mails: http://127.0.0.1:{SMTP_HTTP_PORT}/messages"
        )


DEMO_LOGINS = (
    "1000001  Петрова Анна Сергеевна: parent; children 1000011 (under 14) and 1000012 (16)",
    "1000012  Петрова Алиса Андреевна: child of 16, books for herself once linked",
    "1000002  Соколов Дмитрий Иванович: parent without children",
    "2000001  Иванова Мария Петровна: psychologist, Samara (Europe/Samara)",
    "2000003  Иванов Пётр Алексеевич: psychologist, Vladivostok (Asia/Vladivostok)",
    "1000090  Васильева Елена Викторовна: regional administrator, Samara",
)


def all_procs() -> list[object]:
    kafka = Proc("kafka", [], lambda: False)  # stopping needs only its pid file
    procs: list[object] = [*service_procs(), simulators_proc()]
    return [*procs, smtp_sink_proc(), redis_proc(), kafka, Postgres()]


def down() -> None:
    for proc in all_procs():
        proc.stop()  # type: ignore[attr-defined]


def status() -> None:
    rows = [
        ("postgres", f"127.0.0.1:{PG_PORT}", Postgres().healthy()),
        ("kafka", f"127.0.0.1:{KAFKA_PORT}", port_open(KAFKA_PORT)),
        ("redis", f"127.0.0.1:{REDIS_PORT}", port_open(REDIS_PORT)),
        (
            "smtp-sink",
            f"smtp 127.0.0.1:{SMTP_PORT}, http://127.0.0.1:{SMTP_HTTP_PORT}/messages",
            http_ok(f"http://127.0.0.1:{SMTP_HTTP_PORT}/messages"),
        ),
        (
            "simulators",
            f"http://127.0.0.1:{SIMULATORS_PORT}/demo/people",
            http_ok(f"http://127.0.0.1:{SIMULATORS_PORT}/demo/people"),
        ),
    ]
    rows += [
        (
            p.name,
            f"http://127.0.0.1:{SERVICES[p.name]}/" + ("" if p.name == "portal" else "docs"),
            http_ok(f"http://127.0.0.1:{SERVICES[p.name]}/healthz"),
        )
        for p in service_procs()
    ]
    for name, where, ok in rows:
        print(f"  {name:<11} {'up  ' if ok else 'DOWN'}  {where}")
    print(f"  logs: {STATE / 'logs'}   (python3 deploy/local/stack.py logs NAME)")


def logs(name: str | None) -> None:
    folder = STATE / "logs"
    files = [folder / f"{name}.log"] if name else sorted(folder.glob("*.log"))
    for path in files:
        print(f"==> {path} <==")
        print("\n".join(path.read_text(errors="replace").splitlines()[-40:]))


def main(argv: list[str]) -> None:
    command = argv[1] if len(argv) > 1 else "status"
    actions = {
        "up": up,
        "infra": infra,
        "deps": ensure_python_env,
        "down": down,
        "status": status,
        "env": lambda: print(json.dumps(infra_env(), indent=2)),
    }
    if command == "logs":
        logs(argv[2] if len(argv) > 2 else None)
    elif command in actions:
        actions[command]()
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
