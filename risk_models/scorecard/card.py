"""The scorecard as a readable points table, and its compiled form that scores one applicant or a batch.

Points per attribute = −B·(βⱼ·WOEᵢⱼ + β₀/k) + A/k (DOMAIN.md §6), rounded half-up to whole points so
that the printed table *is* the card: an applicant's score is exactly the sum of the points in the
table, and the PD shown is the scaling's PD of that integer score (so PD is monotonic in the score).
"""

import bisect
import math
import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from risk_models.exceptions import (
    InvalidNumber,
    MissingCharacteristic,
    UnknownCategory,
    UnknownCharacteristic,
)

from .binning import Bin, BinnedCharacteristic
from .characteristics import NUMERIC, offending_rows
from .scaling import Scaling, pd_decimal, round_half_up_int

GRADES = ("A", "B", "C", "D", "E")
DEFAULT_GRADE_PD_BOUNDS = (0.05, 0.10, 0.20, 0.35)  # A: PD < 5%, B: < 10%, C: < 20%, D: < 35%, E: the rest
REASONS_GIVEN = 4
CARD_FORMAT = 1


def reason_code_for(name: str) -> str:
    """A stable UPPER_SNAKE code for a characteristic: the reason underwriting shows when it cost points."""
    return "SCORE_" + (re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").upper() or "CHARACTERISTIC")


@dataclass(frozen=True)
class CardCharacteristic:
    binned: BinnedCharacteristic
    coefficient: float
    points: tuple[int, ...]  # one per bin, same order as binned.bins

    @property
    def name(self) -> str:
        return self.binned.name

    @property
    def reason_code(self) -> str:
        return reason_code_for(self.name)


@dataclass(frozen=True)
class Scorecard:
    characteristics: tuple[CardCharacteristic, ...]
    intercept: float
    scaling: Scaling
    grade_pd_bounds: tuple[float, ...] = DEFAULT_GRADE_PD_BOUNDS

    @classmethod
    def from_regression(
        cls,
        *,
        binned: list[BinnedCharacteristic],
        coefficients: list[float],
        intercept: float,
        scaling: Scaling,
        grade_pd_bounds: tuple[float, ...] = DEFAULT_GRADE_PD_BOUNDS,
    ) -> "Scorecard":
        k = len(binned)
        factor, offset = scaling.factor, scaling.offset
        characteristics = []
        for characteristic, beta in zip(binned, coefficients, strict=True):
            points = tuple(
                round_half_up_int(-factor * (beta * b.woe + intercept / k) + offset / k) for b in characteristic.bins
            )
            characteristics.append(CardCharacteristic(characteristic, float(beta), points))
        return cls(tuple(characteristics), float(intercept), scaling, tuple(grade_pd_bounds))

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.characteristics]

    def score_range(self) -> tuple[int, int]:
        return (
            sum(min(c.points) for c in self.characteristics),
            sum(max(c.points) for c in self.characteristics),
        )

    def grade_for_pd(self, pd: float) -> str:
        return GRADES[bisect.bisect_right(self.grade_pd_bounds, pd)]

    def to_dict(self) -> dict:
        """Plain data (JSON and skops friendly): the binning and points tables with the scaling."""
        return {
            "format": CARD_FORMAT,
            "scaling": self.scaling.as_dict(),
            "intercept": self.intercept,
            "grade_pd_bounds": list(self.grade_pd_bounds),
            "characteristics": [
                {
                    "name": c.name,
                    "kind": c.binned.kind,
                    "coefficient": c.coefficient,
                    "reason_code": c.reason_code,
                    "trend": c.binned.trend,
                    "trend_iv": dict(c.binned.trend_iv),
                    "cuts": list(c.binned.cuts),
                    "bins": [
                        {
                            "label": b.label,
                            "count": b.count,
                            "bads": b.bads,
                            "woe": b.woe,
                            "iv": b.iv,
                            "lower": b.lower,
                            "upper": b.upper,
                            "categories": list(b.categories),
                            "is_missing": b.is_missing,
                            "neutral": b.neutral,
                            "points": points,
                        }
                        for b, points in zip(c.binned.bins, c.points, strict=True)
                    ],
                }
                for c in self.characteristics
            ],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Scorecard":
        characteristics = []
        for c in data["characteristics"]:
            bins = tuple(
                Bin(
                    label=b["label"],
                    count=int(b["count"]),
                    bads=int(b["bads"]),
                    woe=float(b["woe"]),
                    iv=float(b["iv"]),
                    lower=b["lower"],
                    upper=b["upper"],
                    categories=tuple(b["categories"]),
                    is_missing=bool(b["is_missing"]),
                    neutral=bool(b["neutral"]),
                )
                for b in c["bins"]
            )
            binned = BinnedCharacteristic(
                name=c["name"],
                kind=c["kind"],
                bins=bins,
                cuts=tuple(float(x) for x in c["cuts"]),
                trend=c["trend"],
                trend_iv=dict(c["trend_iv"]),
            )
            characteristics.append(
                CardCharacteristic(binned, float(c["coefficient"]), tuple(int(b["points"]) for b in c["bins"]))
            )
        return cls(
            tuple(characteristics),
            float(data["intercept"]),
            Scaling(**data["scaling"]),
            tuple(float(x) for x in data["grade_pd_bounds"]),
        )

    def compile(self) -> "CompiledCard":
        return CompiledCard(self)


@dataclass(frozen=True)
class Scored:
    score: int
    pd: Decimal
    grade: str
    reasons: list[str]


@dataclass(frozen=True)
class ScoredBatch:
    score: np.ndarray  # int32
    pd: np.ndarray  # float64
    grade: np.ndarray  # "A".."E"


class CompiledCard:
    """Lookup structures built once per card: bisect/dict for one applicant, numpy for a batch."""

    def __init__(self, card: Scorecard) -> None:
        self.card = card
        self.names = card.names
        self._known = frozenset(self.names)
        self._factor = card.scaling.factor
        self._offset = card.scaling.offset
        self._entries = []
        for c in card.characteristics:
            self._entries.append(
                (
                    c.name,
                    c.binned.kind == NUMERIC,
                    list(c.binned.cuts),
                    c.binned.category_index(),
                    c.binned.missing_index,
                    list(c.points),
                    max(c.points),
                    c.reason_code,
                )
            )
        self._points_arrays = [np.asarray(c.points, dtype=np.int32) for c in card.characteristics]
        self._grade_bounds = np.asarray(card.grade_pd_bounds, dtype=np.float64)
        self._grades = np.array(GRADES)

    # ---- one applicant -----------------------------------------------------------------------------

    def score_one(self, characteristics: dict, *, also_known: frozenset = frozenset()) -> Scored:
        """`also_known`: names another card in use scores; they are passed over here, not refused."""
        unknown = [name for name in characteristics if name not in self._known and name not in also_known]
        if unknown:
            raise UnknownCharacteristic(
                _("The scorecard does not use %(names)s.") % {"names": ", ".join(map(str, sorted(unknown)))},
                characteristics=sorted(map(str, unknown)),
            )
        total = 0
        losses = []
        for name, numeric, cuts, categories, missing, points, best, code in self._entries:
            if name not in characteristics:
                raise MissingCharacteristic(
                    _("Characteristic %(name)s is required by the scorecard (send null when unknown).")
                    % {"name": name},
                    characteristic=name,
                )
            value = characteristics[name]
            if numeric:
                number = _as_number(name, value)
                index = missing if number is None else bisect.bisect_right(cuts, number)
            elif value is None or value == "":
                index = missing
            else:
                index = categories.get(str(value))
                if index is None:
                    raise UnknownCategory(
                        _("%(value)s is not a known value of %(name)s.") % {"value": value, "name": name},
                        characteristic=name,
                        value=str(value),
                    )
            earned = points[index]
            total += earned
            if earned < best:
                losses.append((best - earned, code))
        pd = self.pd_for_score(total)
        losses.sort(key=lambda loss: -loss[0])  # stable: equal losses keep the card's order
        return Scored(
            score=total,
            pd=pd_decimal(pd),
            grade=self.card.grade_for_pd(pd),
            reasons=[code for _loss, code in losses[:REASONS_GIVEN]],
        )

    def pd_for_score(self, score: int) -> float:
        return 1.0 / (1.0 + math.exp((score - self._offset) / self._factor))

    # ---- a batch -----------------------------------------------------------------------------------

    def bin_indices(self, frame: pd.DataFrame) -> list[np.ndarray]:
        """Bin index of every row for every characteristic; refuses what the card cannot place."""
        absent = [name for name in self.names if name not in frame.columns]
        if absent:
            raise MissingCharacteristic(
                _("The data lacks the scorecard's characteristics %(names)s.") % {"names": ", ".join(absent)},
                characteristics=absent,
            )
        indices = []
        for c in self.card.characteristics:
            column = frame[c.name]
            if c.binned.kind == NUMERIC and not pd.api.types.is_numeric_dtype(column.dtype):
                column = _numeric_column(c.name, column)
            index, unknown = c.binned.assign(column)
            if unknown.any():
                shown, lines = offending_rows(column, unknown)
                raise UnknownCategory(
                    _("Column %(name)s has values the scorecard does not know (%(rows)s).")
                    % {"name": c.name, "rows": shown},
                    characteristic=c.name,
                    lines=lines,
                )
            indices.append(index)
        return indices

    def score_indices(self, indices: list[np.ndarray]) -> np.ndarray:
        total = np.zeros(indices[0].size if indices else 0, dtype=np.int32)
        for points, index in zip(self._points_arrays, indices, strict=True):
            total += points[index]
        return total

    def score_frame(self, frame: pd.DataFrame) -> ScoredBatch:
        scores = self.score_indices(self.bin_indices(frame))
        pd_values = self.pd_for_scores(scores)
        grades = self._grades[np.searchsorted(self._grade_bounds, pd_values, side="right")]
        return ScoredBatch(score=scores, pd=pd_values, grade=grades)

    def pd_for_scores(self, scores: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp((scores.astype(np.float64) - self._offset) / self._factor))


def _as_number(name: str, value) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidNumber(
            _("%(name)s must be a number, not %(value)s.") % {"name": name, "value": value}, characteristic=name
        )
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(Decimal(str(value).strip()))
        except ArithmeticError as exc:
            raise InvalidNumber(
                _("%(name)s must be a number, not %(value)s.") % {"name": name, "value": value},
                characteristic=name,
                value=str(value),
            ) from exc
    return None if math.isnan(number) else number


def _numeric_column(name: str, column: pd.Series) -> pd.Series:
    blank = column.isna() | (column.astype(str).str.strip() == "")
    numbers = pd.to_numeric(column.where(~blank), errors="coerce")
    invalid = numbers.isna() & ~blank
    if invalid.any():
        shown, lines = offending_rows(column, invalid.to_numpy())
        raise InvalidNumber(
            _("Column %(name)s must hold numbers (%(rows)s).") % {"name": name, "rows": shown},
            characteristic=name,
            lines=lines,
        )
    return numbers
