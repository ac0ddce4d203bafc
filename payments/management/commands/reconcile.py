"""`reconcile --channel NAME --date YYYY-MM-DD [--statement FILE]` → one JSON line (CONTRACT.md §4)."""

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from payments.services import reconciliation_run


class Command(BaseCommand):
    help = "Reconcile a channel's statement for a day against our payment orders."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--channel", required=True)
        parser.add_argument("--date", required=True, type=date.fromisoformat, dest="statement_date")
        parser.add_argument("--statement", type=Path, help="a statement CSV; else fetched from the channel")

    def handle(self, *args, **options) -> None:
        statement = options["statement"]
        try:
            text = statement.read_text(encoding="utf-8") if statement else None
            report = reconciliation_run(
                channel=options["channel"], statement_date=options["statement_date"], statement_text=text
            )
        except OSError as exc:
            raise CommandError(f"cannot read the statement: {exc}") from exc
        except UnicodeDecodeError as exc:  # name the row, as for any other unreadable row
            row = statement.read_bytes()[: exc.start].count(b"\n") + 1
            raise CommandError(f"STATEMENT_ROW_INVALID: row {row}: not UTF-8 text") from exc
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(json.dumps(report.as_dict()))
