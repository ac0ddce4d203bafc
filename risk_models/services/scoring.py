"""Scoring with the registry's cards: one applicant in-process (underwriting), or a whole file in batch.

Compiled cards are cached per process by version id — a trained card never changes. The routing (which
version is ACTIVE or CHALLENGER for each product) is cached too: the process that changes the registry
forgets it at once (and again when the change commits), every other process re-reads it within
RISK_MODELS_ROUTING_SECONDS (default 1 s). A decision always records the version that scored it.
"""

import csv
import hashlib
import io
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from .. import selectors
from ..exceptions import NoActiveScorecard, UnreadableData
from ..models import ScorecardVersion
from ..scorecard.card import CompiledCard

CHAMPION = "CHAMPION"
CHALLENGER = "CHALLENGER"


@dataclass(frozen=True)
class ScoreResult:
    score: int
    pd: Decimal
    grade: str  # "A".."E"
    reasons: list[str]  # codes of the characteristics that cost the most points, costliest first
    version: str
    variant: str = CHAMPION  # which arm of champion/challenger scored the applicant


_cards: dict[int, CompiledCard] = {}
_cards_lock = threading.Lock()
_routing: list = []
_routing_expires = 0.0


def score(*, characteristics: dict, product_code: str | None = None, applicant_key: str | None = None) -> ScoreResult:
    """Score one applicant with the product's active card (or a challenger, by a stable hash of the key).

    `characteristics` may hold what any card in use for the product scores (champion and challengers
    may differ); a name no such card knows is refused, as is a characteristic the chosen card needs.
    """
    route = _route(product_code=product_code, applicant_key=applicant_key)
    card = compiled_card(version_id=route.version_id)
    scored = card.score_one(characteristics, also_known=route.also_known)
    return ScoreResult(
        score=scored.score,
        pd=scored.pd,
        grade=scored.grade,
        reasons=scored.reasons,
        version=route.version,
        variant=route.variant,
    )


def compiled_card(*, version_id: int) -> CompiledCard:
    card = _cards.get(version_id)
    if card is None:
        with _cards_lock:
            card = _cards.get(version_id)
            if card is None:
                version = ScorecardVersion.objects.get(pk=version_id)
                card = selectors.scorecard_card(version=version).compile()
                _cards[version_id] = card
    return card


def routing_invalidate() -> None:
    """Forget the routing: the registry changed in this process (other processes re-read it within
    RISK_MODELS_ROUTING_SECONDS)."""
    global _routing_expires
    _routing_expires = 0.0


def applicant_bucket(*, product_code: str, applicant_key: str) -> float:
    """A stable number in [0, 1) per applicant and product: the same applicant always gets the same arm."""
    digest = hashlib.sha256(f"{product_code}\x1f{applicant_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


@dataclass(frozen=True)
class _Route:
    version_id: int
    version: str
    variant: str
    also_known: frozenset  # characteristics of the product's other cards in use


def _routing_rows() -> list:
    """Which versions are ACTIVE or CHALLENGER, re-read at most every RISK_MODELS_ROUTING_SECONDS: a
    database round trip per applicant would cost more than scoring itself."""
    global _routing, _routing_expires
    now = time.monotonic()
    if now >= _routing_expires:
        _routing = selectors.routing_rows()
        _routing_expires = now + getattr(settings, "RISK_MODELS_ROUTING_SECONDS", 1.0)
    return _routing


def _route(*, product_code: str | None, applicant_key: str | None) -> _Route:
    rows = _routing_rows()
    champions = {code: (pk, version) for pk, version, code, status, _share in rows if status == "ACTIVE"}
    code = product_code if product_code in champions else ""
    if code not in champions:
        raise NoActiveScorecard(
            _("No active scorecard for product %(product)s.") % {"product": product_code or "-"},
            product_code=product_code or "",
        )
    in_use = [(pk, version, share) for pk, version, row_code, status, share in rows if row_code == code]
    chosen = (*champions[code], CHAMPION)
    if applicant_key:
        bucket = applicant_bucket(product_code=code, applicant_key=str(applicant_key))
        cumulative = Decimal(0)
        for pk, version, share in in_use:
            cumulative += share
            if share and bucket < cumulative:
                chosen = (pk, version, CHALLENGER)
                break
    also_known = frozenset()
    if len(in_use) > 1:
        also_known = frozenset(name for pk, _version, _share in in_use for name in compiled_card(version_id=pk).names)
    return _Route(*chosen, also_known=also_known)


# ---- a file ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileScoring:
    rows: int
    version: str
    seconds: float


def scorecard_file_score(*, source: str, destination: str, version: str | None = None) -> FileScoring:
    """Score every row of a CSV with a version (default: the active card); add score, pd and grade.

    Nothing is written unless every row can be scored: an unknown category or a non-number names its
    line and column.
    """
    started = time.perf_counter()
    chosen = selectors.scorecard_version_get(version=version) if version else selectors.active_scorecard()
    card = compiled_card(version_id=chosen.pk)
    categorical = [c.name for c in card.card.characteristics if c.binned.kind == "categorical"]
    frame = read_csv(source, text_columns=categorical)
    scored = card.score_frame(frame)
    frame["score"] = scored.score
    # PD to 6 places, half-up like every displayed figure (DOMAIN.md §2), formatted without Decimal per row.
    frame["pd"] = np.char.mod("%.6f", np.floor(scored.pd * 1e6 + 0.5) / 1e6)
    frame["grade"] = scored.grade
    frame.to_csv(destination, index=False)
    return FileScoring(rows=len(frame), version=chosen.version, seconds=time.perf_counter() - started)


def read_csv(source, *, text_columns: list[str] = ()) -> pd.DataFrame:
    """A CSV from a path, a file object or default storage, with the named columns kept as text.

    A row with fewer fields than the header is refused by its line, as pandas refuses one with more (it would
    otherwise fill the missing cells as empty); so is text that is not UTF-8.
    """
    try:
        with _opened(source) as handle:
            frame = pd.read_csv(handle, dtype=dict.fromkeys(text_columns, "str"))
        if len(frame.columns) and frame[frame.columns[-1]].isna().any():
            # Only a row whose last cell is empty can be short: read the lines again only then.
            with _opened(source) as handle:
                _refuse_short_rows(handle, width=len(frame.columns))
        return frame
    except UnicodeDecodeError as exc:
        with _opened(source) as handle:
            line = _first_line_not_utf8(handle)
        raise UnreadableData(
            _("Cannot read %(source)s as CSV: %(reason)s") % {"source": source, "reason": f"line {line} is not UTF-8"},
            source=str(source),
        ) from exc
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise UnreadableData(
            _("Cannot read %(source)s as CSV: %(reason)s") % {"source": source, "reason": exc}, source=str(source)
        ) from exc


@contextmanager
def _opened(source):
    """The source as a binary file: a path, a file in default storage, or a file object (rewound)."""
    if not isinstance(source, str | Path):
        source.seek(0)
        yield source
    elif isinstance(source, str) and not _is_local(source) and default_storage.exists(source):
        with default_storage.open(source, "rb") as handle:
            yield handle
    else:
        with open(source, "rb") as handle:
            yield handle


def _refuse_short_rows(handle, *, width: int) -> None:
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    try:
        reader = csv.reader(text)
        starts = 1  # a quoted field may run over several lines: name the line the row starts on
        for row in reader:
            if row and len(row) < width:
                raise ValueError(f"Expected {width} fields in line {starts}, saw {len(row)}")
            starts = reader.line_num + 1
    finally:
        text.detach()  # the caller's file stays open


def _first_line_not_utf8(handle) -> int:
    for number, line in enumerate(handle, start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return 0


def _is_local(path: str) -> bool:
    return Path(path).is_absolute() or Path(path).exists()
