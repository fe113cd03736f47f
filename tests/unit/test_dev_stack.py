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
    ports = stack._ports()
    assert f"listeners=PLAINTEXT://127.0.0.1:{ports['broker']}," in conf
    assert "transaction.state.log.replication.factor=1" in conf
    assert "offsets.topic.replication.factor=1" in conf
    assert "sasl.enabled.mechanisms=PLAIN" in conf
    assert len(set(ports.values())) == 3
    assert stack._ports() == ports


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
