import threading

import pytest
from django.db import connection, transaction

from common.models import Heartbeat


@pytest.mark.django_db
def test_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 150000


@pytest.mark.django_db(transaction=True)
def test_select_for_update_nowait_sees_a_row_locked_by_another_connection():
    """SQLite has no row locks: only a real PostgreSQL makes the second locker fail fast."""
    from django.db.utils import OperationalError
    from django.utils import timezone

    Heartbeat.objects.create(name="lock-probe", seen_at=timezone.now())
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        with transaction.atomic():
            Heartbeat.objects.select_for_update().get(name="lock-probe")
            locked.set()
            release.wait(timeout=10)
        connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        with pytest.raises(OperationalError, match="could not obtain lock"), transaction.atomic():
            Heartbeat.objects.select_for_update(nowait=True).get(name="lock-probe")
    finally:
        release.set()
        holder.join(timeout=10)
