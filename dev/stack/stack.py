"""The real local stack: an Apache Kafka broker (KRaft) and Apicurio Registry, on 127.0.0.1.

Used three ways: ``make stack-up`` / ``make stack-down`` (``python dev/stack/stack.py up``),
the integration tests' session fixture (``Stack(state_dir).up()``), and fault tests, which
need to SIGKILL the broker and restart it on the same log dir, or stop the registry.

Flow: ``fetch`` runs ``mvn`` against ``dev/stack/pom.xml`` (Kafka + log binding) and
``dependency:copy`` (Apicurio's fast-jar tarball) into ``dev/stack/.cache``; ``up`` picks free
ports, formats KRaft storage, starts both JVMs in their own process groups with capped heaps,
waits for real readiness (a metadata request answers; ``GET /subjects`` answers), sets the
registry's global compatibility to BACKWARD, and writes ``<state>/env``. Every process is
recorded by PID in ``<state>/<name>.pid`` and stopped by that PID.

When ``KAFKA_BOOTSTRAP_SERVERS`` and ``SCHEMA_REGISTRY_URL`` are both set, nothing is fetched
or started: those services are used as they are.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = Path(os.environ.get("HERALD_STACK_CACHE", HERE / ".cache"))
DEFAULT_STATE = Path(os.environ.get("HERALD_STACK_DIR", REPO / ".stack"))

KAFKA_VERSION = "4.1.1"
APICURIO_VERSION = "3.0.9"
CCOMPAT_PATH = "/apis/ccompat/v7"

#: Heaps sized so both JVMs fit with room to spare on a 2-core, 24 GiB machine.
KAFKA_HEAP = ("-Xms256m", "-Xmx768m")
REGISTRY_HEAP = ("-Xms128m", "-Xmx512m")
READY_TIMEOUT_S = 120.0

BROKER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners={listeners}
advertised.listeners={advertised}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map={protocol_map}
log.dirs={log_dir}
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
transaction.abort.timed.out.transaction.cleanup.interval.ms=5000
{extra}"""

LOG4J2_PROPERTIES = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
"""


class StackError(RuntimeError):
    """The stack could not be fetched or started; the message names the step and its log."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log written)"
    return "\n".join(text[-lines:])


def _run_logged(cmd: list[str], log: Path, what: str, cwd: Path | None = None) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, check=False)
    if proc.returncode != 0:
        raise StackError(
            f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\nlog: {log}\n{_tail(log)}"
        )


def kafka_home() -> Path:
    """Where the Kafka jars live after :func:`fetch`."""
    return CACHE / f"kafka-{KAFKA_VERSION}"


def apicurio_home() -> Path:
    """Where Apicurio's runner jar and lib/ live after :func:`fetch`."""
    return CACHE / f"apicurio-{APICURIO_VERSION}"


def _apicurio_jar() -> Path:
    return apicurio_home() / f"apicurio-registry-app-{APICURIO_VERSION}-runner.jar"


def fetch(log_dir: Path) -> None:
    """Fetch Kafka and Apicurio from Maven Central with mvn, unless already cached."""
    if shutil.which("mvn") is None:
        raise StackError("mvn is not on PATH: install Maven 3.8+ (it fetches Kafka and Apicurio)")
    if not (kafka_home() / "libs" / f"kafka_2.13-{KAFKA_VERSION}.jar").exists():
        _run_logged(
            [
                "mvn",
                "-B",
                "-q",
                "-f",
                str(HERE / "pom.xml"),
                "package",
                f"-Dstack.cache={CACHE}",
                f"-Dkafka.version={KAFKA_VERSION}",
            ],
            log_dir / "fetch-kafka.log",
            f"fetching Kafka {KAFKA_VERSION} from Maven Central",
        )
    if not _apicurio_jar().exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        download = CACHE / "downloads"
        artifact = f"io.apicurio:apicurio-registry-app:{APICURIO_VERSION}:tar.gz:all"
        _run_logged(
            [
                # Plugin 2.8 copies without reading the artifact's POM, whose parent
                # (io.apicurio:apicurio-registry) is not on Maven Central; 3.x fails on it.
                "mvn",
                "-B",
                "-q",
                "org.apache.maven.plugins:maven-dependency-plugin:2.8:copy",
                f"-Dartifact={artifact}",
                f"-DoutputDirectory={download}",
            ],
            log_dir / "fetch-apicurio.log",
            f"fetching {artifact} from Maven Central",
            cwd=CACHE,
        )
        tarball = download / f"apicurio-registry-app-{APICURIO_VERSION}-all.tar.gz"
        staging = apicurio_home().with_suffix(".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        with tarfile.open(tarball) as tar:
            tar.extractall(staging, filter="data")
        if not (staging / _apicurio_jar().name).exists():
            raise StackError(
                f"{tarball} has no {_apicurio_jar().name}: the artifact's layout changed; "
                f"look inside it and update dev/stack/stack.py"
            )
        staging.rename(apicurio_home())


#: Popen objects of the processes this Python process started, so they are reaped by PID.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass
class Process:
    """A JVM of the stack, known by name, PID file and log."""

    name: str
    pid_file: Path
    log: Path

    def pid(self) -> int | None:
        """The recorded PID if that process is still ours and alive."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        child = _CHILDREN.get(pid)
        if child is not None:
            # Started by this process: known to be ours even before exec fills its cmdline.
            return pid if child.poll() is None else None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return pid if str(self.pid_file.parent).encode() in cmdline else None

    def start(self, cmd: list[str], cwd: Path) -> int:
        """Start the process in its own process group, logging to its log file."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                start_new_session=True,
            )
        _CHILDREN[proc.pid] = proc
        self.pid_file.write_text(str(proc.pid))
        return proc.pid

    def signal(self, sig: int) -> bool:
        """Send ``sig`` to the process group; False when it is not running."""
        pid = self.pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        return True

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; reap and forget the PID."""
        pid = self.pid()
        if pid is not None:
            self.signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self._alive(pid):
                time.sleep(0.2)
            if self._alive(pid):
                self.signal(signal.SIGKILL)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and self._alive(pid):
                    time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL at once, as a crash would; the data dir stays for a restart."""
        pid = self.pid()
        if pid is None:
            return
        self.signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self._alive(pid):
            time.sleep(0.05)

    @staticmethod
    def _alive(pid: int) -> bool:
        child = _CHILDREN.get(pid)
        if child is not None:
            if child.poll() is None:
                return True
            del _CHILDREN[pid]
            return False
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] != "Z"

    def rss_kib(self) -> int | None:
        """Resident memory of the process, from /proc, for the closing figures."""
        pid = self.pid()
        if pid is None:
            return None
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return None


@dataclass
class Stack:
    """The broker and registry of one state dir: ports, PIDs, logs and data live there."""

    state: Path = DEFAULT_STATE
    #: Extra broker properties (e.g. a SASL listener) appended to server.properties.
    broker_extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state = self.state.resolve()

    @property
    def kafka(self) -> Process:
        """The broker+controller JVM."""
        return Process("kafka", self.state / "kafka.pid", self.state / "logs" / "kafka.out")

    @property
    def registry(self) -> Process:
        """The Apicurio Registry JVM."""
        logs = self.state / "logs"
        return Process("registry", self.state / "registry.pid", logs / "registry.out")

    @property
    def env_file(self) -> Path:
        """KEY=value lines that the Makefile and the tests read."""
        return self.state / "env"

    def _ports(self) -> dict[str, int]:
        ports_file = self.state / "ports.json"
        if ports_file.exists():
            return {k: int(v) for k, v in json.loads(ports_file.read_text()).items()}
        ports = {"broker": _free_port(), "controller": _free_port(), "registry": _free_port()}
        ports_file.write_text(json.dumps(ports))
        return ports

    @property
    def bootstrap_servers(self) -> str:
        """The broker's PLAINTEXT listener."""
        return f"127.0.0.1:{self._ports()['broker']}"

    @property
    def registry_base(self) -> str:
        """The registry's root URL (its own API is under /apis/registry/v3)."""
        return f"http://127.0.0.1:{self._ports()['registry']}"

    @property
    def registry_url(self) -> str:
        """The Confluent-compatible API, which confluent-kafka's client talks to."""
        return self.registry_base + CCOMPAT_PATH

    def up(self) -> None:
        """Fetch if needed, start whatever is not running, wait until both are ready."""
        self.state.mkdir(parents=True, exist_ok=True)
        fetch(self.state / "logs")
        self.start_kafka()
        self.start_registry()
        self.wait_kafka()
        self.wait_registry()
        self.configure_registry()
        self.env_file.write_text(
            f"KAFKA_BOOTSTRAP_SERVERS={self.bootstrap_servers}\n"
            f"SCHEMA_REGISTRY_URL={self.registry_url}\n"
        )

    def down(self) -> None:
        """Stop both processes by PID and remove the env file; data dirs are removed too."""
        self.registry.stop()
        self.kafka.stop()
        self.env_file.unlink(missing_ok=True)
        shutil.rmtree(self.state / "kafka-data", ignore_errors=True)
        (self.state / "ports.json").unlink(missing_ok=True)

    # -- Kafka ---------------------------------------------------------------------------------

    def _write_kafka_config(self) -> Path:
        ports = self._ports()
        listeners = (
            f"PLAINTEXT://127.0.0.1:{ports['broker']},CONTROLLER://127.0.0.1:{ports['controller']}"
        )
        extra = "".join(f"{k}={v}\n" for k, v in sorted(self.broker_extra.items()))
        conf = self.state / "server.properties"
        conf.write_text(
            BROKER_PROPERTIES.format(
                controller_port=ports["controller"],
                listeners=listeners,
                advertised=f"PLAINTEXT://127.0.0.1:{ports['broker']}",
                protocol_map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                log_dir=self.state / "kafka-data",
                extra=extra,
            )
        )
        (self.state / "log4j2.properties").write_text(
            LOG4J2_PROPERTIES.format(log_file=self.state / "logs" / "kafka-server.log")
        )
        return conf

    def _java(self, *args: str) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise StackError("java is not on PATH: install Java 17 to run the local stack")
        return [java, *args]

    def _kafka_cmd(self, main: str, *args: str) -> list[str]:
        return self._java(
            *KAFKA_HEAP,
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.state / 'log4j2.properties'}",
            f"-Dherald.stack={self.state}",
            "-cp",
            str(kafka_home() / "libs" / "*"),
            main,
            *args,
        )

    def start_kafka(self) -> None:
        """Format storage on first start, then start the broker on the same log dir."""
        if self.kafka.pid() is not None:
            return
        conf = self._write_kafka_config()
        data = self.state / "kafka-data"
        if not (data / "meta.properties").exists():
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            fmt = ("format", f"--cluster-id={cluster_id}", "--config", str(conf))
            _run_logged(
                self._kafka_cmd("kafka.tools.StorageTool", *fmt),
                self.state / "logs" / "kafka-format.log",
                "formatting KRaft storage",
            )
        self.kafka.start(self._kafka_cmd("kafka.Kafka", str(conf)), cwd=self.state)

    def kill_kafka(self) -> None:
        """SIGKILL the broker (a crash); :meth:`restart_kafka` brings it back on its log dir."""
        self.kafka.kill()

    def restart_kafka(self) -> None:
        """Start the broker again on the same ports and log dir, and wait until it answers."""
        self.start_kafka()
        self.wait_kafka()

    def wait_kafka(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Wait until a metadata request to the broker succeeds."""
        from confluent_kafka.admin import AdminClient

        deadline = time.monotonic() + timeout
        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers, "log_level": 0})
        last = ""
        while time.monotonic() < deadline:
            if self.kafka.pid() is None:
                raise StackError(
                    f"the Kafka broker exited during start-up; log: {self.kafka.log} and "
                    f"{self.state / 'logs' / 'kafka-server.log'}\n{_tail(self.kafka.log)}"
                )
            try:
                md = admin.list_topics(timeout=2)
                if md.brokers:
                    return
            except Exception as exc:  # any client error means "not ready yet"
                last = str(exc)
            time.sleep(0.3)
        raise StackError(
            f"the Kafka broker at {self.bootstrap_servers} did not answer a metadata request "
            f"within {timeout:.0f}s ({last}); log: {self.state / 'logs' / 'kafka-server.log'}"
        )

    # -- Registry ------------------------------------------------------------------------------

    def start_registry(self) -> None:
        """Start Apicurio in memory (H2) on 127.0.0.1 at the chosen port."""
        if self.registry.pid() is not None:
            return
        port = self._ports()["registry"]
        cmd = self._java(
            *REGISTRY_HEAP,
            "-XX:+UseSerialGC",
            "-Djava.awt.headless=true",
            "-Dquarkus.http.host=127.0.0.1",
            f"-Dquarkus.http.port={port}",
            "-Dquarkus.log.level=WARN",
            '-Dquarkus.log.category."io.apicurio".level=INFO',
            f"-Dherald.stack={self.state}",
            "-jar",
            str(_apicurio_jar()),
        )
        self.registry.start(cmd, cwd=apicurio_home())

    def stop_registry(self) -> None:
        """Stop the registry (for outage tests); :meth:`start_registry` starts an empty one."""
        self.registry.stop()

    def _http(self, method: str, url: str, body: dict[str, object] | None = None) -> bytes:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        with urllib.request.urlopen(req, timeout=5) as resp:
            return bytes(resp.read())

    def wait_registry(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Wait until GET /subjects answers on the Confluent-compatible API."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.registry.pid() is None:
                raise StackError(
                    f"Apicurio Registry exited during start-up; log: {self.registry.log}\n"
                    f"{_tail(self.registry.log)}"
                )
            try:
                json.loads(self._http("GET", self.registry_url + "/subjects"))
                return
            except (OSError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.3)
        raise StackError(
            f"Apicurio Registry at {self.registry_url} did not answer GET /subjects within "
            f"{timeout:.0f}s ({last}); log: {self.registry.log}"
        )

    def configure_registry(self) -> None:
        """Set global compatibility to BACKWARD, Confluent's default (Apicurio has none)."""
        self._http("PUT", self.registry_url + "/config", {"compatibility": "BACKWARD"})

    # -- Reporting -----------------------------------------------------------------------------

    def status(self) -> dict[str, object]:
        """PIDs, RSS and addresses, for `stack.py status` and the closing figures."""
        return {
            "kafka": {"pid": self.kafka.pid(), "rss_kib": self.kafka.rss_kib()},
            "registry": {"pid": self.registry.pid(), "rss_kib": self.registry.rss_kib()},
            "bootstrap_servers": self.bootstrap_servers if self.kafka.pid() else None,
            "registry_url": self.registry_url if self.registry.pid() else None,
        }


def bring_your_own() -> tuple[str, str] | None:
    """The user's own cluster, when both KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL are set."""
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    registry = os.environ.get("SCHEMA_REGISTRY_URL", "").strip()
    return (servers, registry) if servers and registry else None


def run_with_stack(stack: Stack, cmd: list[str]) -> int:
    """Run ``cmd`` with the stack's env exported, starting and always stopping our own stack.

    With a cluster of the user's own (both variables set), nothing is started or stopped.
    ``HERALD_STACK_DIR`` tells the tests which stack they may kill and restart.
    """
    env = dict(os.environ)
    started = False
    if bring_your_own() is None:
        began = time.monotonic()
        started = True
        try:
            stack.up()
        except BaseException:
            stack.down()
            raise
        print(f"stack: ready in {time.monotonic() - began:.1f}s", flush=True)
        env.update(
            KAFKA_BOOTSTRAP_SERVERS=stack.bootstrap_servers,
            SCHEMA_REGISTRY_URL=stack.registry_url,
            HERALD_STACK_DIR=str(stack.state),
        )
    try:
        return subprocess.call(cmd, env=env)
    finally:
        if started:
            stack.down()
            print("stack: stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    """``up`` / ``down`` / ``status`` / ``fetch`` / ``run -- CMD`` for the Makefile."""
    parser = argparse.ArgumentParser(prog="dev/stack/stack.py", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["up", "down", "status", "fetch", "run"])
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, help="state dir (.stack)")
    parser.add_argument("cmd", nargs="*", help="for run: the command to run with the stack up")
    args = parser.parse_args(argv)
    stack = Stack(args.state)
    try:
        if args.command == "run":
            if not args.cmd:
                parser.error("run needs a command: stack.py run -- pytest ...")
            return run_with_stack(stack, args.cmd)
        if args.command == "fetch":
            fetch(args.state / "logs")
        elif args.command == "up":
            if bring_your_own():
                print("stack: KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL are set; using them")
                return 0
            started = time.monotonic()
            stack.up()
            took = time.monotonic() - started
            print(f"stack: Kafka {KAFKA_VERSION} at {stack.bootstrap_servers}")
            print(f"stack: Apicurio Registry {APICURIO_VERSION} at {stack.registry_url}")
            print(f"stack: ready in {took:.1f}s; connection info in {stack.env_file}")
        elif args.command == "down":
            stack.down()
            print("stack: stopped")
        else:
            print(json.dumps(stack.status(), indent=2))
    except StackError as exc:
        print(f"stack: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
