"""The real local stack: Apache Kafka (KRaft, one node or a cluster of three) and Apicurio Registry.

Used three ways: ``make stack-up`` / ``make stack-down`` (``python dev/stack/stack.py up``),
the integration tests' session fixtures (``Stack(state_dir).up()``), and fault tests, which
SIGKILL or SIGTERM a node and restart it on the same log dir, or stop the registry.

Flow: ``fetch`` runs ``mvn`` against ``dev/stack/pom.xml`` (Kafka + log binding) and
``dependency:copy`` (Apicurio's fast-jar tarball) into ``dev/stack/.cache``; ``up`` picks free
ports, generates the stack's secrets and a CA plus a broker certificate (``openssl``), formats
KRaft storage of every node (SCRAM users included), starts the JVMs in their own process groups
with capped heaps, waits for real readiness (every node is in the metadata; ``GET /subjects``
answers), sets the registry's global compatibility to BACKWARD, and writes ``<state>/env``.
Every process is recorded by PID in ``<state>/<name>.pid`` (nodes: ``kafka-<i>.pid``) and
stopped by that PID.

Every node listens on PLAINTEXT (also between brokers), SASL_PLAINTEXT and SASL_SSL (both with
SCRAM-SHA-256 and PLAIN), all on 127.0.0.1. With ``registry_auth`` (``--registry-auth``) the
registry requires HTTP basic auth from an embedded user; by default it is open, as most local
registries are.

When ``KAFKA_BOOTSTRAP_SERVERS`` and ``SCHEMA_REGISTRY_URL`` are both set, nothing is fetched
or started: those services are used as they are.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import secrets
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
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = Path(os.environ.get("HERALD_STACK_CACHE", HERE / ".cache"))
DEFAULT_STATE = Path(os.environ.get("HERALD_STACK_DIR", REPO / ".stack"))

KAFKA_VERSION = "4.1.1"
APICURIO_VERSION = "3.0.9"
CCOMPAT_PATH = "/apis/ccompat/v7"

#: Heaps sized so the JVMs fit with room to spare on a 2-core, 24 GiB machine: one node gets
#: more, each node of a cluster less, so three nodes and the registry stay under 2 GiB of heap.
KAFKA_HEAP = ("-Xms256m", "-Xmx768m")
CLUSTER_NODE_HEAP = ("-Xms128m", "-Xmx384m")
REGISTRY_HEAP = ("-Xms128m", "-Xmx512m")
#: How long `down` lets the processes shut down cleanly before killing them (their data goes).
DOWN_GRACE_S = 10.0
READY_TIMEOUT_S = 120.0

#: The SASL user of every node (SCRAM credentials written at format time, PLAIN in the JAAS
#: config) and the registry's basic-auth user; their passwords are generated per stack.
SASL_USER = "herald"
REGISTRY_USER = "herald"
SASL_MECHANISMS = ("SCRAM-SHA-256", "PLAIN")

#: Replication of a cluster: internal topics on every node, writes need two in sync.
CLUSTER_REPLICATION = {"replicas": 3, "min_isr": 2}

BROKER_PROPERTIES = """\
process.roles=broker,controller
node.id={node_id}
controller.quorum.voters={voters}
listeners={listeners}
advertised.listeners={advertised}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,\
SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
log.dirs={log_dir}
num.partitions=1
auto.create.topics.enable=true
default.replication.factor={replicas}
min.insync.replicas={min_isr}
offsets.topic.replication.factor={replicas}
offsets.topic.num.partitions=4
transaction.state.log.replication.factor={replicas}
transaction.state.log.min.isr={min_isr}
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor={replicas}
share.coordinator.state.topic.min.isr={min_isr}
group.initial.rebalance.delay.ms=0
transaction.abort.timed.out.transaction.cleanup.interval.ms=5000
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
sasl.enabled.mechanisms={mechanisms}
ssl.keystore.type=PKCS12
ssl.keystore.location={keystore}
ssl.keystore.password={keystore_password}
ssl.key.password={keystore_password}
{jaas}{extra}"""

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

#: Quarkus settings that turn on basic auth from an embedded user in the released registry jar
#: (its quarkus-elytron-security-properties-file extension is built in). Apicurio then refuses
#: every API request without valid credentials with 401.
REGISTRY_AUTH_PROPERTIES = """\
quarkus.http.auth.basic=true
quarkus.security.users.embedded.enabled=true
quarkus.security.users.embedded.plain-text=true
quarkus.security.users.embedded.users.{user}={password}
quarkus.security.users.embedded.roles.{user}=sr-admin
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
        stop_together([self], timeout)

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


def _openssl(log: Path, *args: str) -> None:
    if shutil.which("openssl") is None:
        raise StackError("openssl is not on PATH: install it to generate the stack's certificates")
    _run_logged(["openssl", *args], log, f"openssl {args[0]} (certificates for SASL_SSL)")


def make_certificates(tls: Path, keystore_password: str, log: Path) -> None:
    """A CA and a broker certificate for 127.0.0.1 and localhost, plus a PKCS12 keystore."""
    tls.mkdir(parents=True, exist_ok=True)
    if (tls / "broker.p12").exists():
        return
    ca_key, ca, key, csr, cert = (tls / n for n in ("ca.key", "ca.pem", "b.key", "b.csr", "b.pem"))
    _openssl(
        log,
        *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30"),
        *("-subj", "/CN=herald local stack CA", "-keyout", str(ca_key), "-out", str(ca)),
        *("-addext", "basicConstraints=critical,CA:TRUE"),
        *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
    )
    _openssl(
        log,
        *("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost"),
        *("-keyout", str(key), "-out", str(csr)),
    )
    extensions = tls / "broker.ext"
    extensions.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
    )
    _openssl(
        log,
        *("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key)),
        *("-CAcreateserial", "-days", "30", "-extfile", str(extensions), "-out", str(cert)),
    )
    _openssl(
        log,
        *("pkcs12", "-export", "-in", str(cert), "-inkey", str(key), "-certfile", str(ca)),
        *("-name", "broker", "-out", str(tls / "broker.p12")),
        *("-passout", f"file:{_secret_file(tls / 'keystore.pass', keystore_password)}"),
    )
    (tls / "keystore.pass").unlink()
    for private in (ca_key, key, csr):
        private.unlink()


def _secret_file(path: Path, text: str) -> Path:
    """Write a secret readable by its owner only (never on a command line)."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)
    return path


def _jaas(password: str) -> str:
    """Per-listener JAAS lines: SCRAM users come from metadata, the PLAIN user is listed here."""
    lines = []
    for listener in ("sasl_plaintext", "sasl_ssl"):
        lines.append(
            f"listener.name.{listener}.scram-sha-256.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;\n"
        )
        lines.append(
            f"listener.name.{listener}.plain.sasl.jaas.config="
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'user_{SASL_USER}="{password}";\n'
        )
    return "".join(lines)


def _still_running(running: list[tuple[Process, int]], seconds: float) -> list[tuple[Process, int]]:
    """Wait up to ``seconds`` for the processes to end; those that have not."""
    deadline = time.monotonic() + seconds
    while running and time.monotonic() < deadline:
        time.sleep(0.1)
        running = [(process, pid) for process, pid in running if Process._alive(pid)]
    return running


def stop_together(processes: list[Process], timeout: float) -> None:
    """SIGTERM every process, SIGKILL what still runs after ``timeout`` s; forget the PIDs."""
    running = [(process, pid) for process in processes if (pid := process.pid()) is not None]
    for process, _ in running:
        process.signal(signal.SIGTERM)
    for process, _ in _still_running(running, timeout):
        process.signal(signal.SIGKILL)
    _still_running(running, 10.0)
    for process in processes:
        process.pid_file.unlink(missing_ok=True)


@dataclass
class Stack:
    """The Kafka nodes and the registry of one state dir: ports, PIDs, secrets, logs and data.

    ``brokers`` is how many nodes a new stack gets (1, or 3 for a cluster with a controller
    quorum of 3); an existing state dir keeps the count it was created with.
    """

    state: Path = DEFAULT_STATE
    #: Extra broker properties appended to every node's server.properties.
    broker_extra: dict[str, str] = field(default_factory=dict)
    brokers: int | None = None
    #: Start the registry with basic auth required (user :data:`REGISTRY_USER`).
    registry_auth: bool = False

    def __post_init__(self) -> None:
        self.state = self.state.resolve()
        recorded = self._recorded_ports()
        if recorded is not None:
            count = len(recorded["nodes"])
            if self.brokers not in (None, count):
                raise StackError(
                    f"{self.state} holds a {count}-node stack, not {self.brokers}; run "
                    f"`stack.py --state {self.state} down` first to start a different one"
                )
            self.brokers = count
        elif self.brokers is None:
            self.brokers = 1
        if self.brokers not in (1, 3):
            raise StackError(f"--brokers must be 1 or 3, got {self.brokers}")

    # -- layout --------------------------------------------------------------------------------

    @property
    def node_ids(self) -> range:
        """Node ids 1..N, which are also the KRaft node.id and the PID file suffix."""
        return range(1, (self.brokers or 1) + 1)

    def node(self, i: int) -> Process:
        """Node ``i``'s JVM (broker and controller)."""
        if i not in self.node_ids:
            raise StackError(f"no node {i} in {self.state}: nodes are {list(self.node_ids)}")
        return Process(f"kafka-{i}", self.state / f"kafka-{i}.pid", self.logs / f"kafka-{i}.out")

    @property
    def kafka(self) -> Process:
        """Node 1, the only node of a single-node stack."""
        return self.node(1)

    @property
    def registry(self) -> Process:
        """The Apicurio Registry JVM."""
        return Process("registry", self.state / "registry.pid", self.logs / "registry.out")

    @property
    def logs(self) -> Path:
        """Where every process logs."""
        return self.state / "logs"

    @property
    def env_file(self) -> Path:
        """KEY=value lines that the Makefile and the tests read."""
        return self.state / "env"

    @property
    def ca_location(self) -> Path:
        """The CA certificate that signed every node's SASL_SSL certificate."""
        return self.state / "tls" / "ca.pem"

    def _recorded_ports(self) -> dict[str, Any] | None:
        ports_file = self.state / "ports.json"
        if not ports_file.exists():
            return None
        recorded: dict[str, Any] = json.loads(ports_file.read_text())
        return recorded if "nodes" in recorded else None

    def _ports(self) -> dict[str, Any]:
        recorded = self._recorded_ports()
        if recorded is not None:
            return recorded
        nodes = [
            {name: _free_port() for name in ("broker", "controller", "sasl", "ssl")}
            for _ in self.node_ids
        ]
        ports = {"nodes": nodes, "registry": _free_port()}
        self.state.mkdir(parents=True, exist_ok=True)
        (self.state / "ports.json").write_text(json.dumps(ports))
        return ports

    def _secrets(self) -> dict[str, str]:
        path = self.state / "secrets.json"
        if path.exists():
            return dict(json.loads(path.read_text()))
        made = {name: secrets.token_hex(16) for name in ("sasl", "registry", "keystore")}
        self.state.mkdir(parents=True, exist_ok=True)
        _secret_file(path, json.dumps(made))
        return made

    def _servers(self, listener: str, nodes: range | None = None) -> str:
        ports = self._ports()["nodes"]
        return ",".join(f"127.0.0.1:{ports[i - 1][listener]}" for i in nodes or self.node_ids)

    @property
    def bootstrap_servers(self) -> str:
        """Every node's PLAINTEXT listener."""
        return self._servers("broker")

    @property
    def sasl_bootstrap_servers(self) -> str:
        """Every node's SASL_PLAINTEXT listener (SCRAM-SHA-256 or PLAIN)."""
        return self._servers("sasl")

    @property
    def ssl_bootstrap_servers(self) -> str:
        """Every node's SASL_SSL listener (TLS with :attr:`ca_location`, then SASL)."""
        return self._servers("ssl")

    @property
    def sasl_password(self) -> str:
        """The SASL user's password (both mechanisms)."""
        return self._secrets()["sasl"]

    @property
    def registry_password(self) -> str:
        """The registry's basic-auth password for :data:`REGISTRY_USER`."""
        return self._secrets()["registry"]

    @property
    def registry_base(self) -> str:
        """The registry's root URL (its own API is under /apis/registry/v3)."""
        return f"http://127.0.0.1:{self._ports()['registry']}"

    @property
    def registry_url(self) -> str:
        """The Confluent-compatible API, which confluent-kafka's client talks to."""
        return self.registry_base + CCOMPAT_PATH

    def environment(self) -> dict[str, str]:
        """The variables written to ``<state>/env``: addresses, the SASL user and the CA."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "KAFKA_SASL_BOOTSTRAP_SERVERS": self.sasl_bootstrap_servers,
            "KAFKA_SSL_BOOTSTRAP_SERVERS": self.ssl_bootstrap_servers,
            "KAFKA_SASL_MECHANISM": SASL_MECHANISMS[0],
            "KAFKA_SASL_USERNAME": SASL_USER,
            "KAFKA_SASL_PASSWORD": self.sasl_password,
            "KAFKA_SSL_CA_LOCATION": str(self.ca_location),
            "SCHEMA_REGISTRY_URL": self.registry_url,
            **(
                {"SCHEMA_REGISTRY_USERNAME": REGISTRY_USER}
                | {"SCHEMA_REGISTRY_PASSWORD": self.registry_password}
                if self.registry_auth
                else {}
            ),
        }

    # -- lifecycle -----------------------------------------------------------------------------

    def up(self, *, registry: bool = True) -> None:
        """Fetch if needed, start whatever is not running, wait until everything is ready."""
        self.state.mkdir(parents=True, exist_ok=True)
        fetch(self.logs)
        self.start_kafka()
        if registry:
            self.start_registry()
        self.wait_kafka()
        if registry:
            self.wait_registry()
            self.configure_registry()
        text = "".join(f"{k}={v}\n" for k, v in self.environment().items())
        _secret_file(self.env_file, text)

    def down(self) -> None:
        """Stop every process by PID; the env file, data dirs, ports and secrets go too.

        All are signalled at once: stopped one by one, the second of three KRaft nodes waits
        for a quorum that is already gone until it is killed (30 s measured), and the data is
        deleted right after, so nothing is gained by letting each shut down cleanly alone.
        """
        stop_together([self.registry, *(self.node(i) for i in self.node_ids)], DOWN_GRACE_S)
        self.env_file.unlink(missing_ok=True)
        for i in self.node_ids:
            shutil.rmtree(self.state / f"kafka-{i}", ignore_errors=True)
        shutil.rmtree(self.state / "tls", ignore_errors=True)
        for name in ("ports.json", "secrets.json", "registry.properties", "cluster-id"):
            (self.state / name).unlink(missing_ok=True)

    # -- Kafka ---------------------------------------------------------------------------------

    def _replication(self) -> dict[str, int]:
        return CLUSTER_REPLICATION if self.brokers == 3 else {"replicas": 1, "min_isr": 1}

    def _write_kafka_config(self, i: int = 1) -> Path:
        nodes = self._ports()["nodes"]
        mine = nodes[i - 1]
        voters = ",".join(f"{n}@127.0.0.1:{nodes[n - 1]['controller']}" for n in self.node_ids)
        advertised = (
            f"PLAINTEXT://127.0.0.1:{mine['broker']},"
            f"SASL_PLAINTEXT://127.0.0.1:{mine['sasl']},SASL_SSL://127.0.0.1:{mine['ssl']}"
        )
        extra = "".join(f"{k}={v}\n" for k, v in sorted(self.broker_extra.items()))
        secret = self._secrets()
        home = self.state / f"kafka-{i}"
        home.mkdir(parents=True, exist_ok=True)
        conf = home / "server.properties"
        text = BROKER_PROPERTIES.format(
            node_id=i,
            voters=voters,
            listeners=f"{advertised},CONTROLLER://127.0.0.1:{mine['controller']}",
            advertised=advertised,
            log_dir=home / "data",
            mechanisms=",".join(SASL_MECHANISMS),
            keystore=self.state / "tls" / "broker.p12",
            keystore_password=secret["keystore"],
            jaas=_jaas(secret["sasl"]),
            extra=extra,
            **self._replication(),
        )
        _secret_file(conf, text)
        (home / "log4j2.properties").write_text(
            LOG4J2_PROPERTIES.format(log_file=self.logs / f"kafka-{i}-server.log")
        )
        return conf

    def _java(self, *args: str) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise StackError("java is not on PATH: install Java 17 to run the local stack")
        return [java, *args]

    def _kafka_cmd(self, i: int, main: str, *args: str) -> list[str]:
        return self._java(
            *(KAFKA_HEAP if self.brokers == 1 else CLUSTER_NODE_HEAP),
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.state / f'kafka-{i}' / 'log4j2.properties'}",
            f"-Dherald.stack={self.state}",
            "-cp",
            str(kafka_home() / "libs" / "*"),
            main,
            *args,
        )

    def _cluster_id(self) -> str:
        path = self.state / "cluster-id"
        if not path.exists():
            path.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))
        return path.read_text().strip()

    def start_broker(self, i: int) -> None:
        """Start node ``i`` unless it runs; its storage (SCRAM user included) is formatted once."""
        if self.node(i).pid() is not None:
            return
        make_certificates(self.state / "tls", self._secrets()["keystore"], self.logs / "tls.log")
        conf = self._write_kafka_config(i)
        if not (self.state / f"kafka-{i}" / "data" / "meta.properties").exists():
            scram = f"{SASL_MECHANISMS[0]}=[name={SASL_USER},password={self.sasl_password}]"
            fmt = ("format", f"--cluster-id={self._cluster_id()}", "--config", str(conf))
            _run_logged(
                # The SCRAM credential travels as an argument to this short-lived formatter only.
                self._kafka_cmd(i, "kafka.tools.StorageTool", *fmt, "--add-scram", scram),
                self.logs / f"kafka-{i}-format.log",
                f"formatting KRaft storage of node {i}",
            )
        self.node(i).start(self._kafka_cmd(i, "kafka.Kafka", str(conf)), cwd=self.state)

    def start_kafka(self) -> None:
        """Start every node that is not running (all at once: they need each other's votes)."""
        for i in self.node_ids:
            self.start_broker(i)

    def kill_broker(self, i: int) -> None:
        """SIGKILL node ``i`` (a crash); :meth:`restart_broker` brings it back on its log dir."""
        self.node(i).kill()

    def stop_broker(self, i: int, timeout: float = 60.0) -> None:
        """SIGTERM node ``i``: a controlled shutdown that first moves its leaderships away."""
        self.node(i).stop(timeout)

    def restart_broker(self, i: int, timeout: float = READY_TIMEOUT_S) -> None:
        """Start node ``i`` again on its ports and log dir; wait until it is in the metadata."""
        self.start_broker(i)
        self.wait_kafka(timeout, nodes=[i])

    def kill_kafka(self) -> None:
        """SIGKILL node 1 (a crash); :meth:`restart_kafka` brings it back on its log dir."""
        self.kill_broker(1)

    def restart_kafka(self) -> None:
        """Start node 1 again on the same ports and log dir, and wait until it answers."""
        self.restart_broker(1)

    def admin(self) -> Any:
        """An AdminClient on every node's PLAINTEXT listener."""
        from confluent_kafka.admin import AdminClient

        return AdminClient({"bootstrap.servers": self.bootstrap_servers, "log_level": 0})

    def leader_of(self, topic: str, partition: int, timeout: float = 10.0) -> int:
        """The node id leading ``topic``'s ``partition`` now (-1 while it has none)."""
        md = self.admin().list_topics(topic, timeout=timeout)
        return int(md.topics[topic].partitions[partition].leader)

    def in_sync(self, topic: str, timeout: float = 10.0) -> bool:
        """True when every partition of ``topic`` has every node in its ISR."""
        md = self.admin().list_topics(topic, timeout=timeout)
        partitions = md.topics[topic].partitions.values()
        return bool(partitions) and all(len(p.isrs) == self.brokers for p in partitions)

    def wait_kafka(self, timeout: float = READY_TIMEOUT_S, nodes: list[int] | None = None) -> None:
        """Wait until a metadata request lists ``nodes`` (default: all) as live brokers."""
        wanted = set(nodes or self.node_ids)
        deadline = time.monotonic() + timeout
        admin = self.admin()
        last = ""
        while time.monotonic() < deadline:
            for i in wanted:
                if self.node(i).pid() is None:
                    log = self.logs / f"kafka-{i}-server.log"
                    raise StackError(
                        f"Kafka node {i} exited during start-up; log: {self.node(i).log} and "
                        f"{log}\n{_tail(self.node(i).log)}\n{_tail(log)}"
                    )
            try:
                md = admin.list_topics(timeout=2)
                live = set(md.brokers)
                if wanted <= live:
                    return
                last = f"live nodes {sorted(live)}"
            except Exception as exc:  # any client error means "not ready yet"
                last = str(exc)
            time.sleep(0.3)
        raise StackError(
            f"Kafka at {self.bootstrap_servers} did not list nodes {sorted(wanted)} within "
            f"{timeout:.0f}s ({last}); logs: {self.logs}/kafka-<i>-server.log"
        )

    # -- Registry ------------------------------------------------------------------------------

    def start_registry(self) -> None:
        """Start Apicurio in memory (H2) on 127.0.0.1 at the chosen port, with basic auth."""
        if self.registry.pid() is not None:
            return
        port = self._ports()["registry"]
        auth: list[str] = []
        if self.registry_auth:
            properties = _secret_file(
                self.state / "registry.properties",
                REGISTRY_AUTH_PROPERTIES.format(
                    user=REGISTRY_USER, password=self.registry_password
                ),
            )
            # The password stays in a file of the state dir, off the command line.
            auth.append(f"-Dquarkus.config.locations={properties.as_uri()}")
        cmd = self._java(
            *REGISTRY_HEAP,
            "-XX:+UseSerialGC",
            "-Djava.awt.headless=true",
            "-Dquarkus.http.host=127.0.0.1",
            f"-Dquarkus.http.port={port}",
            *auth,
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
        if self.registry_auth:
            pair = f"{REGISTRY_USER}:{self.registry_password}".encode()
            req.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
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
        nodes = {
            f"kafka-{i}": {"pid": self.node(i).pid(), "rss_kib": self.node(i).rss_kib()}
            for i in self.node_ids
        }
        running = any(self.node(i).pid() for i in self.node_ids)
        return {
            **nodes,
            "kafka": nodes["kafka-1"],
            "registry": {"pid": self.registry.pid(), "rss_kib": self.registry.rss_kib()},
            "bootstrap_servers": self.bootstrap_servers if running else None,
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
        env.update(stack.environment(), HERALD_STACK_DIR=str(stack.state))
    try:
        return subprocess.call(cmd, env=env)
    finally:
        if started:
            stack.down()
            print("stack: stopped", flush=True)


def _report_up(stack: Stack, took: float) -> None:
    nodes = "a node" if stack.brokers == 1 else f"a cluster of {stack.brokers} nodes"
    print(f"stack: Kafka {KAFKA_VERSION}, {nodes}, at {stack.bootstrap_servers}")
    print(f"stack: SASL_PLAINTEXT at {stack.sasl_bootstrap_servers}")
    print(f"stack: SASL_SSL at {stack.ssl_bootstrap_servers} (CA {stack.ca_location})")
    print(f"stack: Apicurio Registry {APICURIO_VERSION} at {stack.registry_url}")
    print(f"stack: ready in {took:.1f}s; connection info and credentials in {stack.env_file}")


def main(argv: list[str] | None = None) -> int:
    """``up`` / ``down`` / ``status`` / ``fetch`` / ``run -- CMD`` for the Makefile."""
    parser = argparse.ArgumentParser(prog="dev/stack/stack.py", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["up", "down", "status", "fetch", "run"])
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, help="state dir (.stack)")
    parser.add_argument(
        "--brokers",
        type=int,
        choices=[1, 3],
        default=None,
        help="Kafka nodes of a new stack: 1 (default) or 3, each a broker and a controller",
    )
    parser.add_argument(
        "--registry-auth",
        action="store_true",
        help="a new registry requires HTTP basic auth (credentials in <state>/env)",
    )
    parser.add_argument("cmd", nargs="*", help="for run: the command to run with the stack up")
    args = parser.parse_args(argv)
    if args.command == "run" and not args.cmd:
        parser.error("run needs a command: stack.py run -- pytest ...")
    try:
        stack = Stack(args.state, brokers=args.brokers, registry_auth=args.registry_auth)
        if args.command == "run":
            return run_with_stack(stack, args.cmd)
        if args.command == "fetch":
            fetch(args.state / "logs")
        elif args.command == "up":
            if bring_your_own():
                print("stack: KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL are set; using them")
                return 0
            started = time.monotonic()
            stack.up()
            _report_up(stack, time.monotonic() - started)
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
