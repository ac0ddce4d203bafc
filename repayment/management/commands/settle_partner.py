"""`settle_partner --partner CODE --from YYYY-MM-DD --to YYYY-MM-DD [--statement FILE]`: pay a funding partner what
was collected on its behalf in the period (the payable journal, Dr 2241 / Cr 1002) and write its statement CSV.

Prints one JSON line {"partner", "from", "to", "principal", "interest", "penalty", "total", "journal_id",
"statement"}. A period already settled exits non-zero and writes nothing (PARTNER_SETTLEMENT_EXISTS).
"""

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from repayment.services import partner_settlement_create, partner_statement_csv


class Command(BaseCommand):
    help = "Settle with a funding partner for a period: the payable journal and the statement CSV."

    def add_arguments(self, parser):
        parser.add_argument("--partner", required=True, help="the partner's code, e.g. ICBC")
        parser.add_argument("--from", dest="period_start", required=True, type=date.fromisoformat)
        parser.add_argument("--to", dest="period_end", required=True, type=date.fromisoformat)
        parser.add_argument("--statement", type=Path, help="where to write the statement CSV (default: not written)")

    def handle(self, *args, **options):
        period = {
            "partner_code": options["partner"],
            "period_start": options["period_start"],
            "period_end": options["period_end"],
        }
        if options["statement"] is not None and not options["statement"].parent.is_dir():
            raise CommandError(f"no such directory for the statement: {options['statement'].parent}")
        try:
            settlement = partner_settlement_create(**period)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if options["statement"] is not None:
            options["statement"].write_text(partner_statement_csv(**period), encoding="utf-8")
        self.stdout.write(
            json.dumps(
                {
                    "partner": settlement.partner_code,
                    "from": settlement.period_start.isoformat(),
                    "to": settlement.period_end.isoformat(),
                    "principal": str(settlement.principal),
                    "interest": str(settlement.interest),
                    "penalty": str(settlement.penalty),
                    "total": str(settlement.total),
                    "journal_id": settlement.journal_id,
                    "statement": str(options["statement"]) if options["statement"] else None,
                }
            )
        )
