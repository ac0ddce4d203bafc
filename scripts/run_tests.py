"""`make test`: check the real components the suite needs, then run pytest on PostgreSQL with Redis.

PostgreSQL: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/lending_test); when nothing
answers there, the embedded server (pgserver) is started instead. Redis: TEST_REDIS_URL (default
redis://127.0.0.1:6379/15); when nothing answers, stop at once and say how to get one.
"""

import os
import subprocess
import sys

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lending_test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def postgres_answers(url: str) -> bool:
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    try:
        with psycopg.connect(
            host=config["HOST"] or None,
            port=config["PORT"] or None,
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ):
            return True
    except psycopg.Error:
        return False


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=3).ping())
    except redis.RedisError:
        return False


def main() -> int:
    env = dict(os.environ)
    database_url = env.setdefault("TEST_DATABASE_URL", DEFAULT_DATABASE_URL)
    if not postgres_answers(database_url):
        url = subprocess.run(
            [sys.executable, "-m", "config.embedded", "test-url"], check=True, capture_output=True, text=True
        ).stdout.strip()
        env["TEST_DATABASE_URL"] = url
    redis_url = env.setdefault("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    if not redis_answers(redis_url):
        return 2
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    completed = subprocess.run([sys.executable, "-m", "pytest", *sys.argv[1:]], env=env, check=False)
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
