import pytest

from common.models import Heartbeat
from common.tasks import beat_heartbeat, echo


@pytest.mark.worker
def test_a_real_worker_on_redis_runs_a_task_against_the_test_database(celery_worker_process, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://")

    result = echo.delay("ping").get(timeout=30)

    from django.db import connection

    assert result == {"echo": "ping", "database": connection.settings_dict["NAME"]}


@pytest.mark.worker
def test_beat_heartbeat_task_is_stored_by_the_worker(celery_worker_process):
    from tests.support.processes import wait_until

    beat_heartbeat.delay()

    wait_until(lambda: Heartbeat.objects.filter(name="beat").exists(), timeout=30, message="heartbeat row")
    assert Heartbeat.objects.get(name="beat").seen_at is not None
