"""manage.py compute_indicators --date D — every risk indicator as of D, replacing D's rows (CONTRACT.md §4)."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from risk_models import services


class Command(BaseCommand):
    help = "Compute the risk-indicator tables for a date; print one JSON line."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", help="YYYY-MM-DD (default: the date of the last close-of-business, its newest snapshot)"
        )

    def handle(self, *args, **options):
        as_of = _date(options["date"]) if options["date"] else services.indicators_latest_date()
        if as_of is None:
            raise CommandError("NO_SNAPSHOTS: no close-of-business has written a snapshot yet; pass --date.")
        try:
            run = services.indicators_compute(as_of=as_of)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        figures = {
            "date": run.as_of.isoformat(),
            "indicators": run.indicators,
            "rows": run.rows,
            "seconds": run.seconds,
        }
        self.stdout.write(json.dumps(figures))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"INVALID_DATE: {text!r} is not a date (YYYY-MM-DD).") from exc
