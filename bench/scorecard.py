"""Scorecard: ours vs optbinning's BinningProcess + Scorecard, on the same data and splits, in one run.

    .venv/bin/python bench/scorecard.py                 # 200,000 synthetic rows (a few minutes)
    .venv/bin/python bench/scorecard.py --rows 1000000  # the issue's size

Prints one JSON line:
- quality: test AUC on German credit (mean of 5 stratified 70/30 splits) and on a Taiwan split, for
  both libraries, trained on the same rows with the same characteristics (all of them);
- speed and memory: training on N synthetic rows × 22 characteristics, each library in its own
  subprocess so that peak RSS is clean (both subprocesses build the same frame first; its size is
  reported as `data_rss_mib`); batch scoring rows/s of each fitted card;
- one applicant: `risk_models.services.score` in-process with the demo card active, on a database of its
  own (lending_bench_scorecard, dropped afterwards), against optbinning scoring a one-row frame.
Needs the bench extra (optbinning) and ../shared/data/taiwan_credit_default.csv.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
GERMAN = ROOT / "risk_models" / "data" / "german_credit.csv"
TAIWAN = SHARED_DATA / "taiwan_credit_default.csv"
CHARACTERISTICS = 22
BENCH_DATABASE = "lending_bench_scorecard"
SCALING = {"pdo": 20, "odds": 50, "scorecard_points": 600}

sys.path.insert(0, str(ROOT))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process (all threads): steadier than wall time on a machine shared with others."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---- data ---------------------------------------------------------------------------------------------


def synthetic(rows: int, *, seed: int = 7) -> pd.DataFrame:
    """16 numeric characteristics (smooth, lumpy, U-shaped, skewed; some 8% missing) and 6 categorical
    ones (3–13 levels), with a logistic outcome of ~17% bads. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    columns = {}
    logit = np.full(rows, -1.6)
    for j in range(CHARACTERISTICS - 6):
        shape = j % 4
        if shape == 0:
            x = rng.normal(0, 1, rows)
            effect = 0.35 * x
        elif shape == 1:
            x = rng.lognormal(8, 1, rows).round()
            effect = -0.25 * (np.log1p(x) - 8)
        elif shape == 2:
            x = rng.integers(0, 10, rows).astype(float)
            effect = 0.04 * (x - 4.5) ** 2 - 0.3
        else:
            x = rng.gamma(2, 3, rows).round(1)
            effect = 0.1 * np.minimum(x, 12) - 0.6
        logit += effect * (0.3 + 0.7 * rng.random())
        if j % 5 == 0:
            x[rng.random(rows) < 0.08] = np.nan
        columns[f"num_{j:02d}"] = x
    for j in range(6):
        levels = 3 + 2 * j
        codes = rng.integers(0, levels, rows)
        logit += rng.normal(0, 0.4, levels)[codes]
        columns[f"cat_{j}"] = pd.Categorical.from_codes(codes, [f"level_{k}" for k in range(levels)])
    frame = pd.DataFrame(columns)
    frame["bad"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return frame


def stratified_split(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklearn.model_selection import train_test_split

    return train_test_split(frame, test_size=0.3, stratify=frame["bad"], random_state=seed)


# ---- the two libraries ----------------------------------------------------------------------------------


def fit_ours(train: pd.DataFrame, test: pd.DataFrame):
    from risk_models.scorecard.training import TrainingParameters
    from risk_models.scorecard.training import train as train_card

    return train_card(train, test_frame=test, parameters=TrainingParameters(target="bad"))


def fit_optbinning(train: pd.DataFrame):
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    features = train.drop(columns=["bad"])
    categorical = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c].dtype)]
    card = Scorecard(
        binning_process=BinningProcess(list(features.columns), categorical_variables=categorical),
        estimator=LogisticRegression(),
        scaling_method="pdo_odds",
        scaling_method_params=SCALING,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card.fit(features, train["bad"].to_numpy())
    return card


def auc_pair(train: pd.DataFrame, test: pd.DataFrame) -> tuple[float, float]:
    from risk_models.scorecard import metrics

    ours = fit_ours(train, test).metrics["test_auc"]
    theirs_scores = fit_optbinning(train).score(test.drop(columns=["bad"]))
    return ours, metrics.auc(-np.asarray(theirs_scores), test["bad"].to_numpy())


def quality() -> dict:
    german = pd.read_csv(GERMAN)
    pairs = [auc_pair(*stratified_split(german, seed)) for seed in range(5)]
    taiwan = pd.read_csv(TAIWAN).drop(columns=["ID"])  # a row id, not a characteristic
    taiwan_ours, taiwan_theirs = auc_pair(*stratified_split(taiwan, 0))
    german_ours = statistics.mean(p[0] for p in pairs)
    german_theirs = statistics.mean(p[1] for p in pairs)
    return {
        "german_auc": {
            "ours": round(german_ours, 4),
            "optbinning": round(german_theirs, 4),
            "splits": [[round(a, 4), round(b, 4)] for a, b in pairs],
        },
        "taiwan_auc": {"ours": round(taiwan_ours, 4), "optbinning": round(taiwan_theirs, 4)},
        "quality_ok": german_ours >= german_theirs - 0.005 and taiwan_ours >= taiwan_theirs - 0.005,
    }


# ---- one library's training in a clean process -------------------------------------------------------------


def worker(library: str, rows: int) -> dict:
    """Runs in a subprocess: build the frame, fit, score it in batch and one row at a time."""
    test_rows = max(rows // 4, 1000)
    # import the library before the clock starts: its import time is not training time
    if library == "ours":
        import risk_models.scorecard.training  # noqa: F401
    else:
        import optbinning  # noqa: F401
    frame = synthetic(rows + test_rows)
    train, test = frame.iloc[:rows], frame.iloc[rows:]
    data_rss = peak_rss_mib()
    started, cpu_started = time.perf_counter(), cpu_seconds()
    if library == "ours":
        result = fit_ours(train, test)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
        compiled = result.card.compile()
        started = time.perf_counter()
        compiled.score_frame(train)
        batch_seconds = time.perf_counter() - started
        figures = {"test_auc": result.metrics["test_auc"], "features": result.metrics["features"]}
    else:
        card = fit_optbinning(train)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
        features = train.drop(columns=["bad"])
        started = time.perf_counter()
        scores = card.score(features)
        batch_seconds = time.perf_counter() - started
        one_row = features.iloc[[0]]
        timings = []
        for _ in range(50):
            tick = time.perf_counter()
            card.score(one_row)
            timings.append(time.perf_counter() - tick)
        from risk_models.scorecard import metrics

        figures = {
            "test_auc": metrics.auc(-np.asarray(card.score(test.drop(columns=["bad"]))), test["bad"].to_numpy()),
            "one_row_ms": statistics.median(timings) * 1000,
            "scored": int(np.asarray(scores).size),
        }
    return {
        "library": library,
        "train_seconds": seconds,
        "train_cpu_seconds": cpu,
        "peak_rss_mib": peak_rss_mib(),
        "data_rss_mib": data_rss,
        "batch_rows_per_second": rows / batch_seconds,
        **figures,
    }


def in_subprocess(library: str, rows: int) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", library, "--rows", str(rows)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "", "PYTHONWARNINGS": "ignore"},
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{library} worker failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# ---- one applicant through the service, on a database of our own ----------------------------------------------


def one_applicant(calls: int = 2000) -> dict:
    import psycopg

    server = os.environ.get("BENCH_DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    media = tempfile.mkdtemp(prefix="bench-scorecard-")
    try:
        database_url = f"{server.replace('postgresql://', 'postgres://')}/{BENCH_DATABASE}"
        os.environ.update(
            DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE") or "config.settings",
            DATABASE_URL=database_url,
            TEST_DATABASE_URL=database_url,
            MEDIA_ROOT=media,
            SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-secret",
        )
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", "risk_models", verbosity=0)
        from risk_models import selectors, services

        version = services.scorecard_demo_ensure()
        german = pd.read_csv(GERMAN)
        names = [spec.name for spec in selectors.active_scorecard_characteristics()]
        applicants = [
            {n: (v.item() if hasattr(v, "item") else v) for n, v in german.iloc[i][names].items()} for i in range(200)
        ]
        services.score(characteristics=applicants[0])  # loads the card into this process
        timings = []
        for i in range(calls):
            tick = time.perf_counter()
            services.score(characteristics=applicants[i % len(applicants)], applicant_key=str(i))
            timings.append(time.perf_counter() - tick)
        timings.sort()
        from django.db import connections

        connections.close_all()
        return {
            "version": version.version,
            "median_ms": round(statistics.median(timings) * 1000, 4),
            "p99_ms": round(timings[int(len(timings) * 0.99)] * 1000, 4),
        }
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        import shutil

        shutil.rmtree(media, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="synthetic training rows (22 characteristics)")
    parser.add_argument("--worker", choices=["ours", "optbinning"], help=argparse.SUPPRESS)
    options = parser.parse_args()
    warnings.simplefilter("ignore")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    if options.worker:
        _configure_plain_django()
        print(json.dumps(worker(options.worker, options.rows)))
        return 0

    applicant = one_applicant()  # sets Django up on the bench database; the rest needs no database
    figures = {"rows": options.rows, "characteristics": CHARACTERISTICS}
    figures.update(quality())
    ours = in_subprocess("ours", options.rows)
    theirs = in_subprocess("optbinning", options.rows)
    figures.update(
        {
            "train_seconds": {
                "ours": round(ours["train_seconds"], 2),
                "optbinning": round(theirs["train_seconds"], 2),
                "speedup": round(theirs["train_seconds"] / ours["train_seconds"], 1),
            },
            "train_cpu_seconds": {
                "ours": round(ours["train_cpu_seconds"], 2),
                "optbinning": round(theirs["train_cpu_seconds"], 2),
                "speedup": round(theirs["train_cpu_seconds"] / ours["train_cpu_seconds"], 1),
            },
            "peak_rss_mib": {
                "ours": round(ours["peak_rss_mib"]),
                "optbinning": round(theirs["peak_rss_mib"]),
                "data_rss_mib": round(ours["data_rss_mib"]),
            },
            "synthetic_test_auc": {"ours": round(ours["test_auc"], 4), "optbinning": round(theirs["test_auc"], 4)},
            "batch_rows_per_second": {
                "ours": round(ours["batch_rows_per_second"]),
                "optbinning": round(theirs["batch_rows_per_second"]),
            },
            "one_applicant_ms": {**applicant, "optbinning_one_row_ms": round(theirs["one_row_ms"], 3)},
        }
    )
    figures["targets_met"] = {
        "quality": figures.pop("quality_ok"),
        "five_times_faster": figures["train_seconds"]["speedup"] >= 5,
        "memory_not_above_optbinning": ours["peak_rss_mib"] <= theirs["peak_rss_mib"],
        "batch_million_rows_per_second": ours["batch_rows_per_second"] >= 1_000_000,
        "one_applicant_under_1ms": applicant["median_ms"] < 1.0,
    }
    print(json.dumps(figures))
    return 0


def _configure_plain_django() -> None:
    """The pure pipeline translates its messages; it needs settings but no database or apps."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)


if __name__ == "__main__":
    sys.exit(main())
