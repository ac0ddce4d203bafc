"""Real processes for integration tests: a Celery worker on Redis, pointed at the test database.

Waiting is always on a condition with a deadline (the worker answers a ping), never a fixed sleep.
"""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def worker_database_url() -> str:
    """The URL of the database pytest-django created (its name may carry an xdist suffix)."""
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{db['USER']}@/{host}/{db['NAME']}"
    port = db["PORT"] or 5432
    return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"


def wait_until(condition, *, timeout: float, interval: float = 0.05, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


@contextmanager
def celery_worker(
    *,
    queues: str = "celery,cob,payments,indicators",
    concurrency: int = 2,
    extra_env: dict[str, str] | None = None,
    hostname: str = "test-worker",
) -> Iterator[subprocess.Popen]:
    from config.celery import app

    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "TEST_DATABASE_URL": worker_database_url(),
            "TEST_REDIS_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra_env or {})
    node = f"{hostname}-{os.getpid()}@localhost"
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"celery-{node}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-n",
                node,
                "-Q",
                queues,
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"celery worker exited early; see {log_path}")
            return bool(app.control.ping(destination=[node], timeout=0.5))

        wait_until(answers, timeout=60, message=f"celery worker {node}")
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def libpq(url: str) -> str:
    """A postgres:// URL as libpq (psycopg) spells it."""
    return url.replace("postgres://", "postgresql://", 1)


def database_sessions_end(admin_connection, name: str) -> None:
    """End every other session on database ``name`` so that it can serve as a CREATE DATABASE template: an
    earlier test's live-server thread or worker may still hold an idle connection to it (Django reconnects)."""
    admin_connection.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        [name],
    )


@contextmanager
def database_clone(suffix: str = "clone") -> Iterator[str]:
    """A byte-for-byte copy of the test database as it is now (CREATE DATABASE … TEMPLATE); yields its URL and
    drops it afterwards. The test's own connections are closed first: a template must have no other session."""
    import psycopg
    from django.db import connections

    url = worker_database_url()
    name = connection.settings_dict["NAME"]
    clone = f"{name}_{suffix}"
    admin = libpq(url.rsplit("/", 1)[0] + "/postgres")
    connections.close_all()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{clone}" WITH (FORCE)')
        database_sessions_end(conn, name)
        conn.execute(f'CREATE DATABASE "{clone}" TEMPLATE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + f"/{clone}"
    finally:
        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{clone}" WITH (FORCE)')
