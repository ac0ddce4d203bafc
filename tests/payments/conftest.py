"""Fixtures of the payment-core tests: the real bank simulator process, a worker wired to it, captured tasks.

Everything talks over loopback on free ports; waiting is always on a condition with a deadline.
"""

import itertools
import json
import os
import selectors
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import pytest
import redis
from django.conf import settings as django_settings

from tests.payments.recording import RECORDING_KEY
from tests.support.processes import ROOT, celery_worker, wait_until

CALLBACK_SECRET = "test-callback-secret"  # config.settings.test's BANK_CALLBACK_SECRET
# Short everything: the adapter gives up after 300 ms, the simulator holds a "timeout" answer for 600 ms.
CHANNEL_TIMEOUT = "0.3"
QUERY_BACKOFF = "0.05,0.1,0.2,0.3,0.5"


@dataclass
class Simulator:
    url: str
    process: subprocess.Popen
    data_dir: Path
    client: httpx.Client = field(repr=False)

    def orders(self) -> list[dict]:
        return self.client.get("/_admin/orders").json()

    def movements(self) -> list[dict]:
        return self.client.get("/_admin/movements").json()

    def statement(self, on: date) -> str:
        return self.client.get(f"/statements/{on.isoformat()}").text

    def inject_statement_fault(self, *, on: date, fault: str, **values) -> None:
        response = self.client.post("/_admin/statement-faults", json={"date": on.isoformat(), "fault": fault, **values})
        response.raise_for_status()


@contextmanager
def bank_simulator(data_dir: Path, *args: str, via_manage_py: bool = False) -> Iterator[Simulator]:
    """The simulator as a real process on a free port; yields once it says where it listens.

    `python -m payments.simulator` (no Django, starts at once) unless `via_manage_py`, which runs the
    `run_bank_simulator` management command the Procfile uses.
    """
    env = {**os.environ, "BANK_CALLBACK_SECRET": CALLBACK_SECRET, "PYTHONUNBUFFERED": "1"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "simulator.log").open("w")
    program = ["manage.py", "run_bank_simulator"] if via_manage_py else ["-m", "payments.simulator"]
    process = subprocess.Popen(
        [sys.executable, *program, "--port", "0", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    try:
        url = _listening_url(process, data_dir)
        with httpx.Client(base_url=url, timeout=10) as client:
            yield Simulator(url=url, process=process, data_dir=data_dir, client=client)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _listening_url(process: subprocess.Popen, data_dir: Path) -> str:
    lines: list[bytes] = []
    watcher = selectors.DefaultSelector()
    watcher.register(process.stdout, selectors.EVENT_READ)

    def said_where() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"the bank simulator exited early; see {data_dir / 'simulator.log'}")
        if watcher.select(timeout=0.05):
            lines.append(process.stdout.readline())
        return bool(lines)

    wait_until(said_where, timeout=120, message="bank simulator to listen")
    return json.loads(lines[0])["listening"]


@pytest.fixture
def start_simulator(tmp_path_factory) -> Iterator:
    """Start a simulator with the given flags: `start_simulator("--fail-rate", "0.1")`; stopped after the test."""
    stack = []

    def start(*args: str) -> Simulator:
        context = bank_simulator(tmp_path_factory.mktemp("bank"), *args)
        simulator = context.__enter__()
        stack.append(context)
        return simulator

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


@pytest.fixture
def channel_settings(settings, live_server):
    """Point this process (and the live server answering callbacks) at short timeouts and back-off."""

    def configure(simulator: Simulator) -> dict[str, str]:
        values = {
            "BANK_CHANNEL_URL": simulator.url,
            "PAYMENTS_CALLBACK_BASE_URL": live_server.url,
            "PAYMENTS_CHANNEL_TIMEOUT": CHANNEL_TIMEOUT,
            "PAYMENTS_QUERY_BACKOFF": QUERY_BACKOFF,
            "PAYMENTS_STALE_AFTER": "1",
            "PAYMENTS_OUTBOX_RETRY_AFTER": "1",
        }
        for name, value in values.items():
            setattr(settings, name, value)
        return values

    return configure


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    client.delete(RECORDING_KEY)
    yield client
    client.delete(RECORDING_KEY)


_worker_numbers = itertools.count(1)


@contextmanager
def payments_worker(channel_env: dict[str, str], *, concurrency: int = 8, crash_point: str = "") -> Iterator:
    """A real Celery worker (thread pool) on the test Redis, with the recording settlement handlers."""
    from config.celery import app

    # Tasks left by earlier tests (queued, or taken by a worker that was killed) refer to rows that no longer exist.
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("payments")
    redis.Redis.from_url(django_settings.CELERY_BROKER_URL).delete("unacked", "unacked_index")
    extra_env = {
        **channel_env,
        "DJANGO_SETTINGS_MODULE": "tests.payments.worker_settings",
        "PAYMENTS_TEST_BASE_SETTINGS": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test"),
        "PAYMENTS_CRASH_POINT": crash_point,
    }
    hostname = f"payments-{next(_worker_numbers)}"  # a log file of its own: /tmp/celery-payments-N-<pid>@localhost.log
    with celery_worker(queues="payments", concurrency=concurrency, extra_env=extra_env, hostname=hostname) as worker:
        yield worker


@pytest.fixture
def captured_tasks(monkeypatch) -> dict[str, list]:
    """Record what the services would enqueue instead of sending it to the broker (no worker in these tests)."""
    calls: dict[str, list] = {"submit": [], "query": [], "deliver": []}
    from payments.services import _queue, orders, sweeps

    def submit(order_id):
        calls["submit"].append(order_id)

    def query(order_id, *, attempt, delay):
        calls["query"].append((order_id, attempt, delay))

    def deliver(outbox_id):
        calls["deliver"].append(outbox_id)

    for module in (_queue, orders, sweeps):
        monkeypatch.setattr(module, "enqueue_submit", submit, raising=False)
        monkeypatch.setattr(module, "enqueue_query", query, raising=False)
        monkeypatch.setattr(module, "enqueue_delivery", deliver, raising=False)
    return calls


@pytest.fixture
def settled_here() -> Iterator[list]:
    """Settlement handlers of the test purposes in this process; yields what they received."""
    from payments.handlers import register_settlement_handler
    from tests.payments.apps import TEST_PURPOSES
    from tests.payments.recording import SETTLED_HERE, remember

    for purpose in TEST_PURPOSES:
        register_settlement_handler(purpose, remember)
    SETTLED_HERE.clear()
    yield SETTLED_HERE
    SETTLED_HERE.clear()


@pytest.fixture
def channel(monkeypatch):
    """The order flow talks to a scripted channel instead of the network."""
    from payments.services import orders
    from tests.payments.fakes import ScriptedGateway

    gateway = ScriptedGateway()
    monkeypatch.setattr(orders, "gateway_for", lambda name: gateway)
    return gateway
