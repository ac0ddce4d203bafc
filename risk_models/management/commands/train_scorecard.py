"""manage.py train_scorecard --data CSV --target COL [--test-data CSV] [--pdo 20 --base-score 600 --base-odds 50]
[--activate] — trains a candidate card, writes its report, prints one JSON line (CONTRACT.md §4).

Or on the platform's own book: ``--from-portfolio --as-of D --bad "ever DPD30+ within 6 months"`` trains on
every loan whose outcome has matured by D (decision facts joined with the loans' performance snapshots)."""

import json
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from common.errors import DomainError
from risk_models import services
from risk_models.indicators.definitions import DEFAULT_BAD, bad_definition_parse
from risk_models.services.scoring import read_csv


class Command(BaseCommand):
    help = "Train a candidate scorecard from a CSV; print its metrics as one JSON line."

    def add_arguments(self, parser):
        parser.add_argument("--data", help="training CSV (header row; target column 0/1)")
        parser.add_argument("--target", help="target column of --data: 1 = bad, 0 = good")
        parser.add_argument(
            "--from-portfolio",
            action="store_true",
            help="train on our own loans: decision facts joined with matured performance (instead of --data)",
        )
        parser.add_argument("--as-of", help="--from-portfolio: outcomes matured by this date (default: last close)")
        parser.add_argument(
            "--bad", default=DEFAULT_BAD.text, help='--from-portfolio: e.g. "ever DPD30+ within 6 months"'
        )
        parser.add_argument("--test-data", help="test CSV; without it a stratified hold-out is used")
        parser.add_argument("--test-size", type=float, default=0.3, help="hold-out share without --test-data")
        parser.add_argument("--pdo", type=float, default=20.0)
        parser.add_argument("--base-score", type=float, default=600.0)
        parser.add_argument("--base-odds", type=float, default=50.0, help="good:bad odds at the base score")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--product", default="", help="product code (default: the card for every product)")
        parser.add_argument("--exclude", default="", help="comma-separated columns to leave out (ids, protected)")
        parser.add_argument(
            "--categorical", default="", help="comma-separated numeric-looking columns to treat as categories"
        )
        parser.add_argument("--activate", action="store_true", help="activate the new card at once")

    def handle(self, *args, **options):
        if options["from_portfolio"] == bool(options["data"]):
            raise CommandError("Give either --data CSV --target COL, or --from-portfolio.")
        if options["data"] and not options["target"]:
            raise CommandError("--data needs --target (the 0/1 column).")
        categorical = _names(options["categorical"])
        parameters = services.training_parameters(
            {
                "target": options["target"] or "bad",
                "pdo": options["pdo"],
                "base_score": options["base_score"],
                "base_odds": options["base_odds"],
                "seed": options["seed"],
                "test_size": options["test_size"],
                "exclude": _names(options["exclude"]),
                "categorical": categorical,
            }
        )
        bar = tqdm(total=1, desc="training", unit="step", file=sys.stderr, disable=options["verbosity"] == 0)

        def progress(stage: str, done: int, total: int) -> None:
            bar.total = total
            bar.set_description(stage[:40])
            bar.update(done - bar.n)

        try:
            if options["from_portfolio"]:
                version = services.scorecard_train_from_portfolio(
                    as_of=_as_of(options["as_of"]),
                    bad=bad_definition_parse(options["bad"]),
                    parameters=parameters,
                    product_code=options["product"],
                    activate=options["activate"],
                    progress=progress,
                )
            else:
                version = self._from_csv(options, parameters=parameters, categorical=categorical, progress=progress)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        except ValueError as exc:
            raise CommandError(f"TRAINING_OPTIONS_INVALID: {exc}") from exc
        finally:
            bar.close()
        figures = {
            "version": version.version,
            "train_auc": version.train_auc,
            "train_ks": version.train_ks,
            "test_auc": version.test_auc,
            "test_ks": version.test_ks,
            "gini": version.gini,
            "psi_vs_active": version.psi_vs_active,
            "features": version.metrics["features"],
            "seconds": round(version.training_seconds, 3),
            "status": version.status,
            "report": version.report.name,
            "source": version.source_name,
        }
        self.stdout.write(json.dumps(figures))

    @staticmethod
    def _from_csv(options, *, parameters, categorical, progress):
        frame = read_csv(options["data"], text_columns=categorical)
        test_frame = read_csv(options["test_data"], text_columns=categorical) if options["test_data"] else None
        return services.scorecard_train(
            frame=frame,
            test_frame=test_frame,
            parameters=parameters,
            product_code=options["product"],
            source_name=options["data"],
            activate=options["activate"],
            progress=progress,
        )


def _as_of(text: str | None) -> date:
    if text:
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise CommandError(f"INVALID_DATE: {text!r} is not a date (YYYY-MM-DD).") from exc
    latest = services.indicators_latest_date()
    if latest is None:
        raise CommandError("NO_SNAPSHOTS: no close-of-business has written a snapshot yet; pass --as-of.")
    return latest


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]
