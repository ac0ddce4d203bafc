"""manage.py train_scorecard --data CSV --target COL [--test-data CSV] [--pdo 20 --base-score 600 --base-odds 50]
[--activate] — trains a candidate card, writes its report, prints one JSON line (CONTRACT.md §4)."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from common.errors import DomainError
from risk_models import services
from risk_models.services.scoring import read_csv


class Command(BaseCommand):
    help = "Train a candidate scorecard from a CSV; print its metrics as one JSON line."

    def add_arguments(self, parser):
        parser.add_argument("--data", required=True, help="training CSV (header row; target column 0/1)")
        parser.add_argument("--target", required=True, help="target column: 1 = bad, 0 = good")
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
        categorical = _names(options["categorical"])
        parameters = services.training_parameters(
            {
                "target": options["target"],
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
            frame = read_csv(options["data"], text_columns=categorical)
            test_frame = read_csv(options["test_data"], text_columns=categorical) if options["test_data"] else None
            version = services.scorecard_train(
                frame=frame,
                test_frame=test_frame,
                parameters=parameters,
                product_code=options["product"],
                source_name=options["data"],
                activate=options["activate"],
                progress=progress,
            )
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
        }
        self.stdout.write(json.dumps(figures))


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]
