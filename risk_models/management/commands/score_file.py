"""manage.py score_file --data CSV --out CSV [--version V] — adds score, pd and grade to every row."""

import json

from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from risk_models import services


class Command(BaseCommand):
    help = "Score every row of a CSV with a scorecard (default: the active card)."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # CONTRACT.md §4 names the card with --version, which Django's own --version flag would shadow.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--data", required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--version", dest="scorecard_version", help="scorecard version (default: the active card)")

    def handle(self, *args, **options):
        try:
            scoring = services.scorecard_file_score(
                source=options["data"], destination=options["out"], version=options["scorecard_version"]
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(
            json.dumps({"rows": scoring.rows, "version": scoring.version, "seconds": round(scoring.seconds, 3)})
        )
