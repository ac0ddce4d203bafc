"""train_scorecard and score_file (CONTRACT.md §4): one JSON line on stdout, clear errors, nothing written
to the registry or storage when the data are bad."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from risk_models.models import ScorecardEvent, ScorecardVersion

from .conftest import DEMO_DATA

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
CONTRACT_KEYS = {
    "version",
    "train_auc",
    "train_ks",
    "test_auc",
    "test_ks",
    "gini",
    "psi_vs_active",
    "features",
    "seconds",
}


def run(name, *args) -> dict:
    stdout = io.StringIO()
    call_command(name, *args, stdout=stdout, stderr=io.StringIO())
    lines = stdout.getvalue().strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def train_args(data, *extra):
    return ["--data", str(data), "--target", "bad", "--exclude", "personal_status_and_sex,foreign_worker", *extra]


def test_train_scorecard_prints_the_contract_figures_and_writes_the_report(media_root):
    figures = run("train_scorecard", *train_args(DEMO_DATA))

    assert set(figures) >= CONTRACT_KEYS
    version = ScorecardVersion.objects.get(version=figures["version"])
    assert version.status == "CANDIDATE"
    assert figures["test_auc"] == pytest.approx(version.test_auc)
    assert figures["psi_vs_active"] is None
    report = (media_root / version.report.name).read_text(encoding="utf-8")
    assert figures["version"] in report
    assert report.count("data:image/png;base64,") >= 10


def test_train_scorecard_activate_and_a_second_card_measures_psi_against_it(media_root):
    first = run("train_scorecard", *train_args(DEMO_DATA, "--activate"))
    second = run("train_scorecard", *train_args(DEMO_DATA, "--seed", "9", "--pdo", "40", "--base-score", "500"))

    assert ScorecardVersion.objects.get(version=first["version"]).status == "ACTIVE"
    assert second["psi_vs_active"] is not None
    assert second["psi_vs_active"] > 0
    assert ScorecardVersion.objects.get(version=second["version"]).pdo == 40


def test_a_separate_test_file_is_used_for_the_test_figures(tmp_path):
    german = pd.read_csv(DEMO_DATA)
    german.iloc[:800].to_csv(tmp_path / "train.csv", index=False)
    german.iloc[800:].to_csv(tmp_path / "test.csv", index=False)

    figures = run("train_scorecard", *train_args(tmp_path / "train.csv", "--test-data", str(tmp_path / "test.csv")))

    version = ScorecardVersion.objects.get(version=figures["version"])
    assert (version.metrics["train_rows"], version.metrics["test_rows"]) == (800, 200)


def bad_file(tmp_path, mutate) -> Path:
    frame = pd.read_csv(DEMO_DATA)
    path = tmp_path / "bad.csv"
    mutate(frame).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop(columns=["bad"]), "TARGET_MISSING: .*bad"),
        (lambda f: f.assign(bad=f["bad"].map({0: "good", 1: "bad"})), "TARGET_NOT_BINARY: .*line 2"),
        (lambda f: pd.concat([f[f["bad"] == 0], f[f["bad"] == 1].head(30)]), "TOO_FEW_BADS: .*30"),
        (lambda f: f.assign(branch="Beijing"), "CONSTANT_CHARACTERISTIC: .*branch"),
        (lambda f: f.assign(email=np.nan), "ALL_MISSING_CHARACTERISTIC: .*email"),
    ],
    ids=["no target", "non-binary target", "30 bads", "constant column", "all-missing column"],
)
def test_bad_training_data_fails_by_name_and_writes_nothing(tmp_path, media_root, mutate, message):
    path = bad_file(tmp_path, mutate)

    with pytest.raises(CommandError, match=message):
        run("train_scorecard", *train_args(path))

    assert not ScorecardVersion.objects.exists()
    assert not ScorecardEvent.objects.exists()
    assert not (media_root / "risk_models").exists()


def test_an_unreadable_file_fails_cleanly(tmp_path):
    with pytest.raises(CommandError, match="UNREADABLE_DATA"):
        run("train_scorecard", *train_args(tmp_path / "nowhere.csv"))


def test_score_file_adds_score_pd_and_grade_to_every_row(tmp_path, active_card, german_result):
    out = tmp_path / "scored.csv"

    figures = run("score_file", "--data", str(DEMO_DATA), "--out", str(out))

    assert figures["rows"] == 1000
    assert figures["version"] == active_card.version
    assert figures["seconds"] >= 0
    scored = pd.read_csv(out, dtype={"pd": str})
    expected = german_result.card.compile().score_frame(pd.read_csv(DEMO_DATA))
    assert (scored["score"].to_numpy() == expected.score).all()
    assert (scored["grade"].to_numpy() == expected.grade).all()
    assert scored["pd"].str.fullmatch(r"0\.\d{6}").all()
    assert list(scored.columns[:3]) == list(pd.read_csv(DEMO_DATA, nrows=1).columns[:3])  # rows kept as they were


def test_score_file_with_a_named_version(tmp_path, active_card):
    figures = run(
        "score_file", "--data", str(DEMO_DATA), "--out", str(tmp_path / "o.csv"), "--version", active_card.version
    )

    assert figures["version"] == active_card.version


def test_score_file_names_the_line_of_an_unknown_category_and_writes_nothing(tmp_path, active_card):
    frame = pd.read_csv(DEMO_DATA)
    frame.loc[41, "purpose"] = "space travel"
    frame.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "out.csv"

    with pytest.raises(CommandError, match=r"UNKNOWN_CATEGORY: .*purpose.*line 43"):
        run("score_file", "--data", str(tmp_path / "in.csv"), "--out", str(out))

    assert not out.exists()


def test_score_file_names_a_missing_column(tmp_path, active_card):
    pd.read_csv(DEMO_DATA).drop(columns=["purpose"]).to_csv(tmp_path / "in.csv", index=False)

    with pytest.raises(CommandError, match=r"MISSING_CHARACTERISTIC: .*purpose"):
        run("score_file", "--data", str(tmp_path / "in.csv"), "--out", str(tmp_path / "out.csv"))


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_with_its_message_and_shows_progress_on_stderr(tmp_path):
    from tests.support.processes import worker_database_url

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test"),
        "TEST_DATABASE_URL": worker_database_url(),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    command = [sys.executable, "manage.py", "train_scorecard", *train_args(DEMO_DATA)]

    good = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    bad = subprocess.run(
        [*command[:-4], "--data", str(bad_file(tmp_path, lambda f: f.drop(columns=["bad"]))), "--target", "bad"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert good.returncode == 0, good.stderr
    assert set(json.loads(good.stdout.strip())) >= CONTRACT_KEYS
    assert "%|" in good.stderr  # tqdm's bar
    assert bad.returncode != 0
    assert "TARGET_MISSING" in bad.stderr
    assert bad.stdout == ""
