"""Beat's nightly trigger closes up to the day that just ended — the only place servicing reads the clock."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from repayment import tasks
from tests.repayment.support import business_date_set

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_nightly_close_targets_yesterday_and_catches_up_from_the_business_date(monkeypatch):
    asked = []
    monkeypatch.setattr(tasks, "cob_run_async", lambda *, target: asked.append(target))
    business_date_set(date(2024, 3, 1))

    with time_machine.travel(datetime(2024, 3, 5, 0, 30, tzinfo=SHANGHAI), tick=False):
        tasks.cob_nightly()

    assert asked == [date(2024, 3, 4)]


def test_nightly_close_does_nothing_when_the_books_are_closed_to_yesterday(monkeypatch):
    asked = []
    monkeypatch.setattr(tasks, "cob_run_async", lambda *, target: asked.append(target))
    business_date_set(date(2024, 3, 4))

    with time_machine.travel(datetime(2024, 3, 5, 0, 30, tzinfo=SHANGHAI), tick=False):
        tasks.cob_nightly()

    assert asked == []
