"""`manage.py trial_balance [--date D]`: Σ debits and Σ credits of the books, per account (CONTRACT.md §4)."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ledger.selectors import trial_balance


class Command(BaseCommand):
    help = "Print the trial balance (journals posted on or before --date) as one JSON line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", dest="as_of", help="YYYY-MM-DD; journals posted after it are left out")

    def handle(self, *args, as_of: str | None = None, **options) -> None:
        try:
            as_of_date = date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise CommandError(_("--date must be YYYY-MM-DD, not %(value)s") % {"value": as_of}) from exc
        self.stdout.write(json.dumps(trial_balance(as_of=as_of_date).as_dict()))
