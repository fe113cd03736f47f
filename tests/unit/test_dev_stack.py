"""dev/stack's pure parts: bring-your-own detection, broker config, PID ownership."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import dev_stack


def test_bring_your_own_needs_both_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k:9092")
    monkeypatch.delenv("SCHEMA_REGISTRY_URL", raising=False)
    assert dev_stack.bring_your_own() is None
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://sr:8081")
    assert dev_stack.bring_your_own() == ("k:9092", "http://sr:8081")


def test_broker_config_binds_loopback_with_single_replica_internal_topics(tmp_path: Path) -> None:
    stack = dev_stack.Stack(tmp_path, broker_extra={"sasl.enabled.mechanisms": "PLAIN"})
    conf = stack._write_kafka_config().read_text()
    node = stack._ports()["nodes"][0]
    assert f"listeners=PLAINTEXT://127.0.0.1:{node['broker']}," in conf
    assert f"SASL_PLAINTEXT://127.0.0.1:{node['sasl']}" in conf
    assert f"SASL_SSL://127.0.0.1:{node['ssl']}" in conf
    assert "transaction.state.log.replication.factor=1" in conf
    assert "offsets.topic.replication.factor=1" in conf
    assert conf.endswith("sasl.enabled.mechanisms=PLAIN\n")  # extras come last and win
    assert len({*node.values(), stack._ports()["registry"]}) == 5
    assert stack._ports()["nodes"][0] == node


def test_a_cluster_has_three_voters_and_replicates_everything_three_ways(tmp_path: Path) -> None:
    stack = dev_stack.Stack(tmp_path, brokers=3)
    nodes = stack._ports()["nodes"]
    confs = [stack._write_kafka_config(i).read_text() for i in (1, 2, 3)]
    voters = ",".join(f"{i}@127.0.0.1:{nodes[i - 1]['controller']}" for i in (1, 2, 3))
    for i, conf in enumerate(confs, start=1):
        assert f"node.id={i}\n" in conf
        assert f"controller.quorum.voters={voters}\n" in conf
        assert f"log.dirs={tmp_path / f'kafka-{i}' / 'data'}\n" in conf
        for line in (
            "default.replication.factor=3",
            "min.insync.replicas=2",
            "offsets.topic.replication.factor=3",
            "transaction.state.log.replication.factor=3",
            "transaction.state.log.min.isr=2",
        ):
            assert f"\n{line}\n" in conf
    assert stack.bootstrap_servers == ",".join(f"127.0.0.1:{n['broker']}" for n in nodes)
    assert stack.node(3).pid_file == tmp_path / "kafka-3.pid"
    # The state dir remembers its size: a 1-node view of it is refused.
    assert dev_stack.Stack(tmp_path).brokers == 3
    with pytest.raises(dev_stack.StackError, match="holds a 3-node stack"):
        dev_stack.Stack(tmp_path, brokers=1)


def test_env_lists_every_listener_and_the_credentials_files_are_private(tmp_path: Path) -> None:
    stack = dev_stack.Stack(tmp_path, brokers=3, registry_auth=True)
    env = stack.environment()
    assert env["KAFKA_SASL_BOOTSTRAP_SERVERS"].count(",") == 2
    assert env["KAFKA_SSL_BOOTSTRAP_SERVERS"] == stack.ssl_bootstrap_servers
    assert env["KAFKA_SASL_USERNAME"] == "herald"
    assert len(env["KAFKA_SASL_PASSWORD"]) == 32
    assert env["SCHEMA_REGISTRY_PASSWORD"] != env["KAFKA_SASL_PASSWORD"]
    assert env["KAFKA_SSL_CA_LOCATION"] == str(tmp_path / "tls" / "ca.pem")
    conf = stack._write_kafka_config(2)
    assert f'user_herald="{env["KAFKA_SASL_PASSWORD"]}"' in conf.read_text()
    assert (conf.stat().st_mode & 0o777) == 0o600
    assert ((tmp_path / "secrets.json").stat().st_mode & 0o777) == 0o600
    assert "SCHEMA_REGISTRY_PASSWORD" not in dev_stack.Stack(tmp_path / "open").environment()


def test_a_pid_file_naming_someone_elses_process_is_not_ours(tmp_path: Path) -> None:
    stack = dev_stack.Stack(tmp_path)
    stack.kafka.pid_file.parent.mkdir(parents=True, exist_ok=True)
    stack.kafka.pid_file.write_text(str(os.getpid()))
    assert stack.kafka.pid() is None
    stack.kafka.stop()
    assert not stack.kafka.pid_file.exists()


def test_stop_ends_a_process_of_ours(tmp_path: Path) -> None:
    proc = dev_stack.Process("sleeper", tmp_path / "s.pid", tmp_path / "s.log")
    pid = proc.start(
        [sys.executable, "-c", "import time; time.sleep(60)", str(tmp_path)], cwd=tmp_path
    )
    assert proc.pid() == pid
    proc.stop(timeout=5)
    assert proc.pid() is None
    assert not Path(f"/proc/{pid}").exists()


def test_run_without_a_command_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, str(dev_stack.HERE / "stack.py"), "run"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "run needs a command" in result.stderr


def test_a_failed_step_names_itself_and_its_log(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "fetch-kafka.log"
    cmd = [sys.executable, "-c", "import sys; print('could not resolve artifact'); sys.exit(3)"]
    with pytest.raises(dev_stack.StackError) as failed:
        dev_stack._run_logged(cmd, log, "fetching Kafka 4.1.1 from Maven Central")
    message = str(failed.value)
    assert message.startswith("fetching Kafka 4.1.1 from Maven Central failed (exit 3)")
    assert f"log: {log}" in message
    assert "could not resolve artifact" in message
