"""A stale Ray session or a cluster that is gone never hangs a run (no Ray instance is started here)."""

from __future__ import annotations

import logging
import re
import socket
import time

import pytest

ray = pytest.importorskip("ray")
from corpusclean.errors import RunError  # noqa: E402
from corpusclean.executors import ray as ray_executor  # noqa: E402


def dead_address() -> str:
    """``127.0.0.1:PORT`` where nothing listens (a port just freed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def live_address() -> tuple[socket.socket, str]:
    s = socket.socket()
    s.bind(("0.0.0.0", 0))  # Ray may resolve 127.0.0.1 to this machine's address
    s.listen()
    return s, f"127.0.0.1:{s.getsockname()[1]}"


def test_a_stale_session_file_starts_a_local_instance_and_says_so(monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    gone = dead_address()
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr("ray._private.services.find_bootstrap_address", lambda temp_dir: gone)
    with caplog.at_level(logging.WARNING, logger="corpusclean.runner"):
        assert ray_executor.cluster_address(None) == "local"
    port = gone.rsplit(":", 1)[1]  # Ray writes this machine's address for 127.0.0.1
    assert re.search(rf"the last cluster recorded on this machine \(\S+:{port}\) is gone; starting a local "
                     "instance", caplog.text)


@pytest.mark.parametrize("how", ["address", "auto_with_session", "env"])
def test_an_unreachable_cluster_is_a_one_line_error_within_the_timeout(monkeypatch: pytest.MonkeyPatch,
                                                                      how: str) -> None:
    gone = dead_address()
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(ray_executor, "CONNECT_TIMEOUT", 1.0)
    address: str | None = gone
    if how == "auto_with_session":
        monkeypatch.setattr("ray._private.services.find_bootstrap_address", lambda temp_dir: gone)
        address = "auto"
    elif how == "env":
        monkeypatch.setenv("RAY_ADDRESS", gone)
        address = None
    t0 = time.perf_counter()
    port = gone.rsplit(":", 1)[1]
    with pytest.raises(RunError, match=rf"no Ray cluster answers at \S+:{port} \(waited 1 s\)"):
        ray_executor.cluster_address(address)
    assert time.perf_counter() - t0 < 5


def test_a_live_cluster_and_client_addresses_are_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    sock, live = live_address()
    with sock:
        assert ray_executor.cluster_address(live) == live
    assert ray_executor.cluster_address("ray://head:10001") == "ray://head:10001"
    monkeypatch.setattr("ray._private.services.find_bootstrap_address", lambda temp_dir: None)
    monkeypatch.setattr("ray._private.services.find_gcs_addresses", lambda: [])
    assert ray_executor.cluster_address(None) is None  # nothing recorded: Ray starts a local instance
