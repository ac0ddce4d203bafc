import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789abcdef",
    "ALLOWED_HOSTS": "loans.example.com",
    "DATABASE_URL": "postgres://lending@db.internal:5432/lending",
    "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
    "CACHE_URL": "redis://cache.internal:6379/1",
    "BANK_CALLBACK_SECRET": "another-long-random-secret-for-channel-callbacks",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "TEST_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("module", ["config.settings", "config.settings.production", "config.settings.test"])
def test_settings_load_in_each_mode(module):
    result = run_manage("diffsettings", "--all", env={**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": module})
    assert result.returncode == 0, result.stderr
    assert "ENGINE" in result.stdout
    assert "postgresql" in result.stdout


def test_default_settings_are_production_safe():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        env={**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_default_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_check_deploy_reports_no_issue():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
