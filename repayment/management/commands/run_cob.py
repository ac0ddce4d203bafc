"""`run_cob --date YYYY-MM-DD [--sync]`: close-of-business up to a business date (CONTRACT.md §4).

Prints one JSON line: {"date", "loans", "partitions", "steps": {name: seconds}, "seconds"}. Without --sync the
partitions run on the Celery workers (queue `cob`) and the command waits for the date to complete.
"""

import json
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from repayment.models import CobRun
from repayment.services import cob_run, cob_summary


class Command(BaseCommand):
    help = "Close-of-business for a business date (catching up every missed date before it)."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, type=date.fromisoformat)
        parser.add_argument("--sync", action="store_true", help="run every partition inline, without workers")
        parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the workers")

    def handle(self, *args, **options):
        target = options["date"]
        started = time.monotonic()
        try:
            if options["sync"]:
                figures = cob_run(business_date=target)
            else:
                from repayment.tasks import cob_run_async

                dates = cob_run_async(target=target)
                deadline = started + options["timeout"]
                while not CobRun.objects.filter(business_date=target, status=CobRun.Status.COMPLETED).exists():
                    if time.monotonic() > deadline:
                        raise CommandError(f"close-of-business of {target} did not complete in {options['timeout']} s")
                    time.sleep(0.2)
                figures = cob_summary(business_date=target, seconds=time.monotonic() - started, dates=dates)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(json.dumps(figures))
