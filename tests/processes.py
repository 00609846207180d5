"""The service as a real process (``khabar serve``), for tests that need what a thread cannot
give: several workers, or operating-system limits on one process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServiceProcess:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process's whole session, SIGKILL if it lingers."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def khabar_process(env: dict[str, str], *, workers: int = 1,
                   preexec_fn: Callable[[], None] | None = None,
                   startup_s: float = 60) -> Iterator[ServiceProcess]:
    port = free_port()
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(Path.home()),
                "PYTHONPATH": str(ROOT), **env}
    # The log goes to a pipe drained by ``cat`` into a file: a file-size limit set on the
    # service must not stop it from logging.
    log_file = Path(tempfile.mkstemp(prefix="khabar-log-", suffix=".txt")[1])
    with log_file.open("wb") as sink:
        drain = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=sink)
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port),
             "--workers", str(workers), "--no-preload"],
            cwd=ROOT, env=full_env, stdout=drain.stdin, stderr=drain.stdin,
            preexec_fn=preexec_fn, start_new_session=True)
        assert drain.stdin is not None
        drain.stdin.close()
        url = f"http://127.0.0.1:{port}"
        service = ServiceProcess(url, process, log_file)
        try:
            deadline = time.monotonic() + startup_s
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"khabar serve exited: {service.log()[-2000:]}")
                # Every worker up, not just the first: one that is still starting would leave
                # all the load to the other.
                if service.log().count("Application startup complete") >= workers:
                    try:
                        if httpx.get(f"{url}/healthz", timeout=2).status_code in (200, 503):
                            break
                    except httpx.TransportError:
                        pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"khabar serve did not start: {service.log()[-2000:]}")
                time.sleep(0.1)
            yield service
        finally:
            _stop(process)
            drain.wait(timeout=10)


@contextmanager
def khabar_worker(env: dict[str, str], *, concurrency: int = 4,
                  startup_s: float = 60) -> Iterator[ServiceProcess]:
    """``khabar worker`` (a Celery worker) as a process of its own session."""
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(Path.home()),
                "PYTHONPATH": str(ROOT), **env}
    log_file = Path(tempfile.mkstemp(prefix="khabar-worker-", suffix=".txt")[1])
    with log_file.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker", "--concurrency", str(concurrency)],
            cwd=ROOT, env=full_env, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True)
    worker = ServiceProcess("", process, log_file)
    try:
        deadline = time.monotonic() + startup_s
        while " ready." not in worker.log():
            if process.poll() is not None:
                raise RuntimeError(f"khabar worker exited: {worker.log()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"khabar worker did not start: {worker.log()[-2000:]}")
            time.sleep(0.1)
        yield worker
    finally:
        if process.poll() is None:
            _stop(process)
