"""Fixtures of the end-to-end journey: the bank simulator on a booking calendar the test turns, and a real worker."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest

from tests.lending.conftest import scorecard  # noqa: F401 (the demo card, activated)
from tests.payments.conftest import CALLBACK_SECRET, Simulator, _listening_url, channel_settings  # noqa: F401
from tests.support.processes import ROOT, celery_worker


@dataclass
class Bank:
    """The running simulator and the business day it books payments on."""

    simulator: Simulator
    booking_date_file: Path

    def book_on(self, day: date) -> None:
        self.booking_date_file.write_text(day.isoformat())

    def orders(self) -> list[dict]:
        return self.simulator.orders()


@contextmanager
def bank_on_a_calendar(data_dir: Path, first_day: date) -> Iterator[Bank]:
    """`tests.e2e.bank_clock` as a real process on a free port, booking on the day the test sets."""
    data_dir.mkdir(parents=True, exist_ok=True)
    booking_date_file = data_dir / "booking-date"
    booking_date_file.write_text(first_day.isoformat())
    env = {
        **os.environ,
        "BANK_CALLBACK_SECRET": CALLBACK_SECRET,
        "BANK_BOOKING_DATE_FILE": str(booking_date_file),
        "PYTHONUNBUFFERED": "1",
    }
    log = (data_dir / "simulator.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.bank_clock", "--port", "0", "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    try:
        url = _listening_url(process, data_dir)
        with httpx.Client(base_url=url, timeout=10) as client:
            simulator = Simulator(url=url, process=process, data_dir=data_dir, client=client)
            yield Bank(simulator=simulator, booking_date_file=booking_date_file)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def bank_rails(channel_settings, tmp_path, scorecard):  # noqa: F811
    """The bank simulator and a real Celery worker (every queue: payments, close-of-business, indicators),
    both pointed at this live server. Yields the bank; `bank.book_on(day)` turns its calendar."""
    from config.celery import app

    with bank_on_a_calendar(tmp_path / "bank", first_day=date(2000, 1, 1)) as bank:
        values = channel_settings(bank.simulator)
        app.control.purge()
        with celery_worker(extra_env=values, hostname="journey"):
            yield bank
