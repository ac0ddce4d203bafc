"""`python -m tests.e2e.bank_clock …`: the bank simulator, whose booking date the test sets day by day.

The simulator books everything at the wall clock (or on one `--settlement-date`); a journey that spans weeks of
business dates needs the bank to book each payment on the business day it was made. The booking date is read
from the file named by BANK_BOOKING_DATE_FILE at each booking, at a fixed time of day (10:00 in Shanghai), so
that the local date a payout settles on never depends on the hour the test runs.

Its answers to a payment and to a query also say when the order was booked (`settled_at`), as its callbacks
already do and as the channel adapter reads them: the stock simulator leaves it out of answers, so an order
finalised by the answer (before the callback) settles at our clock's date, not the bank's. Everything else is
the real simulator: its server, its books, its faults and its statements.
"""

import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from payments.simulator import bank, server
from payments.simulator.cli import main
from payments.simulator.faults import PROCESSING

BOOKED_FROM = timedelta(hours=2)  # 02:00 UTC is 10:00 in Shanghai: the same calendar day in both
STARTED = time.monotonic()


def booking_now(self) -> str:
    booking_date = date.fromisoformat(Path(os.environ["BANK_BOOKING_DATE_FILE"]).read_text().strip())
    # Seconds since start keep the bookings of a day in order; a journey lasts minutes, never near a day.
    elapsed = timedelta(seconds=time.monotonic() - STARTED)
    return (datetime.combine(booking_date, datetime.min.time(), tzinfo=UTC) + BOOKED_FROM + elapsed).isoformat()


answer_without_booking_time = server._answer


def answer_with_booking_time(order: bank.BankOrder, *, code: str | None = None) -> dict:
    payload = answer_without_booking_time(order, code=code)
    if order.settled_at and order.status != PROCESSING:
        payload["settled_at"] = order.settled_at
    return payload


if __name__ == "__main__":
    bank.Bank._now = booking_now
    server._answer = answer_with_booking_time
    sys.exit(main())
