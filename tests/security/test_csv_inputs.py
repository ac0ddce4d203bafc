"""Hostile CSV files fed to the three commands that read them — `train_scorecard`, `score_file`, `reconcile`:
a broken row stops the command with a non-zero exit (CommandError) whose message names the row, and nothing
is written — no scorecard, no report, no output file, no reconciliation run, case or journal."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from ledger.models import Journal
from payments.models import PaymentCase, ReconciliationRun
from risk_models.models import ScorecardEvent, ScorecardVersion
from tests.risk_models.conftest import DEMO_DATA

pytestmark = pytest.mark.django_db

ROW = 41  # the 42nd data row: line 43 of the file (the header is line 1)
LINE = ROW + 2


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _write(rows: list[list[str]], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _column(rows, name: str) -> int:
    return rows[0].index(name)


def _extra_field(rows):
    rows[LINE - 1] = [*rows[LINE - 1], "surplus"]


def _missing_field(rows):
    rows[LINE - 1] = rows[LINE - 1][:-1]


def _text_for_a_number(rows):
    rows[LINE - 1][_column(rows, "duration_in_month")] = "twelve"


def _float_for_an_integer_target(rows):
    rows[LINE - 1][_column(rows, "bad")] = "0.5"


BROKEN_ROWS = {
    "extra field": _extra_field,
    "missing field": _missing_field,
    "text for a number": _text_for_a_number,
}


def _broken_copy(tmp_path: Path, break_row) -> Path:
    rows = _rows(DEMO_DATA)
    break_row(rows)
    return _write(rows, tmp_path / "broken.csv")


def _raw_copy(tmp_path: Path, line_bytes: bytes) -> Path:
    lines = DEMO_DATA.read_bytes().splitlines(keepends=True)
    lines[LINE - 1] = line_bytes
    path = tmp_path / "broken.csv"
    path.write_bytes(b"".join(lines))
    return path


RAW_LINES = {
    "not UTF-8": "... < 0 DM,6,无效,radio/television,1169\n".encode("gbk"),
    "NUL byte": b"... < 0 DM,6\x00,critical,radio/television,1169\n",
    "unterminated quote": b'... < 0 DM,6,"critical account,radio/television,1169\n',
}


CASES = [*BROKEN_ROWS, *RAW_LINES]


def _hostile_files(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name in CASES:
        directory = tmp_path / name.replace(" ", "-")
        directory.mkdir()
        if name in BROKEN_ROWS:
            files[name] = _broken_copy(directory, BROKEN_ROWS[name])
        else:
            files[name] = _raw_copy(directory, RAW_LINES[name])
    return files


@pytest.fixture
def hostile(tmp_path):
    return _hostile_files(tmp_path)


# --- train_scorecard -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [*CASES, "float target"])
def test_train_scorecard_refuses_a_broken_row_by_its_line_and_writes_nothing(hostile, tmp_path, settings, case):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = hostile[case] if case in hostile else _broken_copy(tmp_path, _float_for_an_integer_target)

    with translation.override("en"), pytest.raises(CommandError, match=rf"\b(line|row) {LINE}\b"):
        call_command(
            "train_scorecard",
            "--data",
            str(path),
            "--target",
            "bad",
            "--exclude",
            "personal_status_and_sex,foreign_worker",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )

    assert not ScorecardVersion.objects.exists()
    assert not ScorecardEvent.objects.exists()
    assert not any(Path(settings.MEDIA_ROOT).rglob("*"))


# --- score_file ------------------------------------------------------------------------------------------------


@pytest.fixture
def active_card(db):
    from tests.lending.scorecards import activate_demo_scorecard

    return activate_demo_scorecard()


@pytest.mark.parametrize("case", CASES)
def test_score_file_refuses_a_broken_row_by_its_line_and_writes_no_output(hostile, tmp_path, active_card, case):
    out = tmp_path / "scored.csv"

    with translation.override("en"), pytest.raises(CommandError, match=rf"\b(line|row) {LINE}\b"):
        call_command("score_file", "--data", str(hostile[case]), "--out", str(out), stdout=io.StringIO())

    assert not out.exists()


def test_score_file_scores_the_same_file_unbroken(tmp_path, active_card):
    out = tmp_path / "scored.csv"

    call_command("score_file", "--data", str(DEMO_DATA), "--out", str(out), stdout=io.StringIO())

    assert len(_rows(out)) == len(_rows(DEMO_DATA))


# --- reconcile -------------------------------------------------------------------------------------------------

STATEMENT = [
    ["serial", "amount", "status", "settled_at"],
    ["NOT-OURS-1", "10.00", "SUCCESS", "2024-03-01T10:00:00+00:00"],
    ["NOT-OURS-2", "20.00", "FAILED", "2024-03-01T10:05:00+00:00"],
    ["NOT-OURS-3", "30.00", "SUCCESS", "2024-03-01T10:10:00+00:00"],
]
STATEMENT_ROW = 3  # the second line after the header
BROKEN_STATEMENT_ROWS = {
    "extra field": ["NOT-OURS-2", "20.00", "FAILED", "2024-03-01T10:05:00+00:00", "surplus"],
    "missing field": ["NOT-OURS-2", "20.00", "FAILED"],
    "text for an amount": ["NOT-OURS-2", "twenty", "FAILED", "2024-03-01T10:05:00+00:00"],
    "negative amount": ["NOT-OURS-2", "-20.00", "FAILED", "2024-03-01T10:05:00+00:00"],
    "float-like amount": ["NOT-OURS-2", "2e1", "FAILED", "2024-03-01T10:05:00+00:00"],
    "not a number": ["NOT-OURS-2", "NaN", "FAILED", "2024-03-01T10:05:00+00:00"],
    "fractions of a fen": ["NOT-OURS-2", "20.001", "FAILED", "2024-03-01T10:05:00+00:00"],
    "huge amount": ["NOT-OURS-2", "9" * 40, "FAILED", "2024-03-01T10:05:00+00:00"],
    "unknown status": ["NOT-OURS-2", "20.00", "MAYBE", "2024-03-01T10:05:00+00:00"],
    "no time zone": ["NOT-OURS-2", "20.00", "FAILED", "2024-03-01T10:05:00"],
    "not a date": ["NOT-OURS-2", "20.00", "FAILED", "yesterday"],
    "empty serial": ["", "20.00", "FAILED", "2024-03-01T10:05:00+00:00"],
    "over-long serial": ["S" * 65, "20.00", "FAILED", "2024-03-01T10:05:00+00:00"],
    "duplicate serial": ["NOT-OURS-1", "20.00", "FAILED", "2024-03-01T10:05:00+00:00"],
}
RAW_STATEMENT_ROWS = {
    "not UTF-8": "NOT-OURS-2,20.00,失败,2024-03-01T10:05:00+00:00\n".encode("gbk"),
    "NUL byte": b"NOT-OURS-2,20.00\x00,FAILED,2024-03-01T10:05:00+00:00\n",
}


def _reconcile(statement: Path):
    with translation.override("en"):
        call_command(
            "reconcile",
            "--channel",
            "BANK_SIM",
            "--date",
            "2024-03-01",
            "--statement",
            str(statement),
            stdout=io.StringIO(),
        )


def _nothing_reconciled(journals_before: int) -> bool:
    return (
        not ReconciliationRun.objects.exists()
        and not PaymentCase.objects.exists()
        and (Journal.objects.count() == journals_before)
    )


@pytest.mark.parametrize("case", [*BROKEN_STATEMENT_ROWS, *RAW_STATEMENT_ROWS])
def test_reconcile_refuses_a_broken_row_by_its_number_and_writes_nothing(tmp_path, case):
    path = tmp_path / "statement.csv"
    if case in BROKEN_STATEMENT_ROWS:
        rows = [list(row) for row in STATEMENT]
        rows[STATEMENT_ROW - 1] = BROKEN_STATEMENT_ROWS[case]
        _write(rows, path)
    else:
        text = _write(STATEMENT, tmp_path / "good.csv").read_bytes().splitlines(keepends=True)
        text[STATEMENT_ROW - 1] = RAW_STATEMENT_ROWS[case]
        path.write_bytes(b"".join(text))
    journals = Journal.objects.count()

    with pytest.raises(CommandError, match=rf"\brow {STATEMENT_ROW}\b"):
        _reconcile(path)

    assert _nothing_reconciled(journals)


def test_reconcile_accepts_the_same_statement_unbroken(tmp_path):
    _reconcile(_write(STATEMENT, tmp_path / "statement.csv"))

    assert ReconciliationRun.objects.count() == 1
