"""Characteristic typing and the checks a training frame must pass before anything is fitted or written."""

import hashlib
import platform
from dataclasses import dataclass
from importlib import metadata

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from risk_models.exceptions import (
    AllMissingCharacteristic,
    ConstantCharacteristic,
    TargetMissing,
    TargetNotBinary,
    TooFewBads,
    TrainingDataError,
)

NUMERIC = "numeric"
CATEGORICAL = "categorical"
MIN_BADS = 50
# At most this many offending rows are named in an error message; the details carry the same list.
ROWS_NAMED = 5


@dataclass(frozen=True)
class CharacteristicType:
    name: str
    kind: str  # NUMERIC | CATEGORICAL
    missing_share: float
    distinct: int


def is_numeric_column(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)


def categorical_values(column: pd.Series) -> pd.Series:
    """Category labels as strings (what a form posts and what the card stores), missing kept as NaN."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.rename_categories([str(c) for c in column.cat.categories])
    return column.astype(object).where(column.notna(), None).map(lambda v: v if v is None else str(v))


def target_vector(frame: pd.DataFrame, target: str, *, min_bads: int = MIN_BADS, role: str = "training") -> np.ndarray:
    """The target as 0/1 int8, or a clear error naming the column and the first offending rows."""
    role = _("training") if role == "training" else _("test")
    if target not in frame.columns:
        raise TargetMissing(
            _("The %(role)s data has no target column %(target)s (columns: %(columns)s).")
            % {"role": role, "target": target, "columns": ", ".join(map(str, frame.columns[:30]))},
            column=target,
        )
    column = frame[target]
    if pd.api.types.is_bool_dtype(column.dtype):
        values = column.astype(np.int8).to_numpy()
    else:
        numeric = pd.to_numeric(column, errors="coerce")
        is_binary = numeric.isin([0, 1])
        if not bool(is_binary.all()):
            shown, lines = offending_rows(column, ~is_binary.to_numpy())
            raise TargetNotBinary(
                _("Target column %(target)s must hold only 0 (good) and 1 (bad); found %(rows)s.")
                % {"target": target, "rows": shown},
                column=target,
                lines=lines,
            )
        values = numeric.to_numpy(dtype=np.int8)
    bads = int(values.sum())
    if bads < min_bads:
        raise TooFewBads(
            _("The %(role)s data has %(bads)s bads in column %(target)s; at least %(minimum)s are needed.")
            % {"role": role, "bads": bads, "target": target, "minimum": min_bads},
            column=target,
            bads=bads,
            minimum=min_bads,
        )
    if bads == values.size:
        raise TargetNotBinary(
            _("Target column %(target)s has no goods (0).") % {"target": target}, column=target, lines=[]
        )
    return values


def infer_characteristics(
    frame: pd.DataFrame, *, target: str, exclude: tuple[str, ...] = (), categorical: tuple[str, ...] = ()
) -> list[CharacteristicType]:
    """Type every column except the target and the excluded ones; refuse all-missing and constant columns."""
    unknown = [name for name in (*exclude, *categorical) if name not in frame.columns]
    if unknown:
        raise TrainingDataError(
            _("Columns named in the options are not in the data: %(columns)s.") % {"columns": ", ".join(unknown)},
            columns=unknown,
        )
    types = []
    for name in frame.columns:
        if name == target or name in exclude:
            continue
        column = frame[name]
        missing = int(column.isna().sum())
        if missing == len(column):
            raise AllMissingCharacteristic(
                _("Column %(column)s is empty in every row.") % {"column": name}, column=str(name)
            )
        kind = NUMERIC if is_numeric_column(column) and name not in categorical else CATEGORICAL
        if kind == CATEGORICAL and name not in categorical:
            _refuse_stray_text(column)
        if kind == NUMERIC:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
            present = values[~np.isnan(values)]
            distinct = 1 if present.min() == present.max() else 2
            if not np.all(np.isfinite(present)):
                raise TrainingDataError(
                    _("Column %(column)s holds an infinite value.") % {"column": name}, column=str(name)
                )
        else:
            distinct = int(column.nunique(dropna=True))
        if distinct <= 1:
            raise ConstantCharacteristic(
                _("Column %(column)s has the same value in every row; it cannot separate goods from bads.")
                % {"column": name},
                column=str(name),
            )
        types.append(CharacteristicType(str(name), kind, missing / len(column), distinct))
    if not types:
        raise TrainingDataError(_("The data has no characteristic besides the target."))
    return types


def frame_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of the frame's column names and values (pandas' fixed-key row hashes), order-sensitive."""
    digest = hashlib.sha256()
    for name in frame.columns:
        digest.update(str(name).encode("utf-8") + b"\x00")
        digest.update(pd.util.hash_pandas_object(frame[name], index=False).to_numpy().tobytes())
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("numpy", "pandas", "scikit-learn", "scipy", "skops"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return versions


def _refuse_stray_text(column: pd.Series) -> None:
    """A column of numbers with a few words among them is a broken file, not a set of categories: name the rows.

    (A column of codes that merely look like numbers is named in the categorical option.)"""
    present = column.notna().to_numpy()
    numbers = pd.to_numeric(column, errors="coerce").notna().to_numpy()
    words = present & ~numbers
    if numbers.sum() > words.sum() > 0:
        shown, lines = offending_rows(column, words)
        raise TrainingDataError(
            _("Column %(column)s holds numbers, and text in %(rows)s.") % {"column": column.name, "rows": shown},
            column=str(column.name),
            lines=lines,
        )


def offending_rows(column: pd.Series, mask: np.ndarray) -> tuple[str, list[int]]:
    """The first offending rows as the CSV numbers them (the header is line 1, so row i is line i + 2),
    each with its value: the text for a message, and the line numbers for the error's details."""
    positions = np.flatnonzero(mask)[:ROWS_NAMED]
    lines = [int(i) + 2 for i in positions]
    shown = ", ".join(
        _("line %(line)s: %(value)s") % {"line": line, "value": _shown(column.iloc[int(i)])}
        for line, i in zip(lines, positions, strict=True)
    )
    return shown, lines


def _shown(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return _("(empty)")
    return repr(value.item() if hasattr(value, "item") else value)
