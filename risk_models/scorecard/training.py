"""The training pipeline: check → type → bin → select by IV → filter correlated → regress on WOE → scale.

Pure (pandas / numpy / scikit-learn, no ORM), deterministic for a given frame and seed, and built for
millions of rows: every step is a handful of vectorised passes over the data.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from risk_models.exceptions import NoCharacteristicSelected, TrainingDataError

from . import metrics
from .binning import BinnedCharacteristic, BinningPolicy, bin_characteristic
from .card import DEFAULT_GRADE_PD_BOUNDS, CompiledCard, Scorecard
from .characteristics import (
    CATEGORICAL,
    MIN_BADS,
    categorical_values,
    frame_sha256,
    infer_characteristics,
    library_versions,
    target_vector,
)
from .scaling import Scaling

SELECTED = "SELECTED"
DROPPED_LOW_IV = "DROPPED_LOW_IV"
DROPPED_CORRELATED = "DROPPED_CORRELATED"
DROPPED_NEGATIVE_COEFFICIENT = "DROPPED_NEGATIVE_COEFFICIENT"
SUSPECT_LEAKAGE = "SUSPECT_LEAKAGE"

Progress = Callable[[str, int, int], None]
CORRELATION_SAMPLE = 200_000


@dataclass(frozen=True)
class TrainingParameters:
    target: str = "bad"
    scaling: Scaling = field(default_factory=Scaling)
    policy: BinningPolicy = field(default_factory=BinningPolicy)
    seed: int = 42
    test_size: float = 0.3  # held out (stratified) when no test data is given
    iv_drop_below: float = 0.02
    iv_flag_above: float = 0.5
    max_correlation: float = 0.7
    regularisation_c: float = 1.0
    grade_pd_bounds: tuple[float, ...] = DEFAULT_GRADE_PD_BOUNDS
    exclude: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    min_bads: int = MIN_BADS

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "scaling": self.scaling.as_dict(),
            "binning": self.policy.as_dict(),
            "seed": self.seed,
            "test_size": self.test_size,
            "iv_drop_below": self.iv_drop_below,
            "iv_flag_above": self.iv_flag_above,
            "max_correlation": self.max_correlation,
            "regularisation_c": self.regularisation_c,
            "grade_pd_bounds": list(self.grade_pd_bounds),
            "exclude": list(self.exclude),
            "categorical": list(self.categorical),
            "min_bads": self.min_bads,
        }


@dataclass
class CharacteristicReview:
    """One row of the selection table: why a characteristic is on the card or not."""

    name: str
    kind: str
    iv: float
    missing_share: float
    status: str = SELECTED
    flag: str = ""
    coefficient: float | None = None
    correlated_with: str = ""
    correlation: float | None = None


@dataclass
class Evaluation:
    train_scores: np.ndarray
    train_bad: np.ndarray
    test_scores: np.ndarray | None
    test_bad: np.ndarray | None
    test_frame: pd.DataFrame | None  # the held-out rows, kept to compare against the active card


@dataclass
class TrainingResult:
    card: Scorecard
    binned: dict[str, BinnedCharacteristic]
    review: list[CharacteristicReview]
    estimator: LogisticRegression
    metrics: dict
    evaluation: Evaluation
    baseline: dict
    reproducibility: dict
    seconds: float


def train(
    frame: pd.DataFrame,
    *,
    parameters: TrainingParameters | None = None,
    test_frame: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> TrainingResult:
    """Train a scorecard on `frame` (and evaluate it on `test_frame`, or on a stratified hold-out)."""
    started = time.perf_counter()
    parameters = parameters or TrainingParameters()
    report = progress or (lambda stage, done, total: None)
    target = parameters.target

    bad = target_vector(frame, target, min_bads=parameters.min_bads)
    types = infer_characteristics(frame, target=target, exclude=parameters.exclude, categorical=parameters.categorical)
    steps = len(types) + 4
    report("checking", 1, steps)
    explicit_test = test_frame is not None
    if explicit_test:
        test_bad = target_vector(test_frame, target, min_bads=1, role="test")
        absent = [t.name for t in types if t.name not in test_frame.columns]
        if absent:
            raise TrainingDataError(
                _("The test data lacks the columns %(columns)s.") % {"columns": ", ".join(absent)}, columns=absent
            )
        train_frame, train_bad = frame, bad
    else:
        train_rows, test_rows = train_test_split(
            np.arange(len(frame)), test_size=parameters.test_size, stratify=bad, random_state=parameters.seed
        )
        train_rows.sort()
        test_rows.sort()
        train_frame, test_frame = frame.iloc[train_rows], frame.iloc[test_rows]
        train_bad, test_bad = bad[train_rows], bad[test_rows]

    rng = np.random.default_rng(parameters.seed)
    binned: dict[str, BinnedCharacteristic] = {}
    bin_index: dict[str, np.ndarray] = {}
    review: dict[str, CharacteristicReview] = {}
    for done, characteristic in enumerate(types, start=2):
        known = frozenset()
        if characteristic.kind == CATEGORICAL:
            known = _categories(frame[characteristic.name]) | _categories(test_frame[characteristic.name])
        binned[characteristic.name], bin_index[characteristic.name] = bin_characteristic(
            characteristic.name,
            train_frame[characteristic.name],
            train_bad,
            kind=characteristic.kind,
            policy=parameters.policy,
            rng=rng,
            known_categories=known,
        )
        iv = binned[characteristic.name].iv
        review[characteristic.name] = CharacteristicReview(
            name=characteristic.name,
            kind=characteristic.kind,
            iv=iv,
            missing_share=characteristic.missing_share,
            flag=SUSPECT_LEAKAGE if iv > parameters.iv_flag_above else "",
        )
        report(f"binning {characteristic.name}", done, steps)

    # IV selection: weak characteristics add noise, not separation.
    candidates = []
    for name, row in review.items():
        if row.iv < parameters.iv_drop_below:
            row.status = DROPPED_LOW_IV
        else:
            candidates.append(name)
    candidates.sort(key=lambda name: -review[name].iv)
    sample = _correlation_sample(train_bad.size, rng)
    selected = _drop_correlated(
        candidates,
        {name: binned[name].woes[bin_index[name][sample]] for name in candidates},
        review,
        parameters.max_correlation,
    )
    report("selection", len(types) + 2, steps)

    estimator, selected = _regress(selected, binned, bin_index, train_bad, review, parameters)
    if not selected:
        raise NoCharacteristicSelected(
            _("No characteristic has an information value of at least %(iv)s; the data cannot make a scorecard.")
            % {"iv": parameters.iv_drop_below}
        )
    for name, beta in zip(selected, estimator.coef_[0], strict=True):
        review[name].coefficient = float(beta)
    report("regression", len(types) + 3, steps)

    card = Scorecard.from_regression(
        binned=[binned[name] for name in selected],
        coefficients=[float(b) for b in estimator.coef_[0]],
        intercept=float(estimator.intercept_[0]),
        scaling=parameters.scaling,
        grade_pd_bounds=parameters.grade_pd_bounds,
    )
    compiled = CompiledCard(card)
    train_scores = compiled.score_indices([bin_index[name] for name in selected])
    test_scores = compiled.score_frame(test_frame).score
    evaluation = Evaluation(train_scores, train_bad, test_scores, test_bad, test_frame)
    figures = evaluate(evaluation)
    figures.update(
        train_rows=int(train_bad.size),
        train_bads=int(train_bad.sum()),
        test_rows=int(test_bad.size),
        test_bads=int(test_bad.sum()),
        features=len(selected),
    )
    baseline = _baseline(train_scores, {name: bin_index[name] for name in selected}, binned)
    report("evaluation", steps, steps)
    reproducibility = {
        "seed": parameters.seed,
        "training_sha256": frame_sha256(frame),
        "test_sha256": frame_sha256(test_frame) if explicit_test else None,
        "library_versions": library_versions(),
        "parameters": parameters.as_dict(),
    }
    return TrainingResult(
        card=card,
        binned=binned,
        review=[review[t.name] for t in types],
        estimator=estimator,
        metrics=figures,
        evaluation=evaluation,
        baseline=baseline,
        reproducibility=reproducibility,
        seconds=time.perf_counter() - started,
    )


def evaluate(evaluation: Evaluation) -> dict:
    """AUC, KS and Gini of the integer scores on the training and test rows (higher score = safer)."""
    train_auc = metrics.auc(-evaluation.train_scores, evaluation.train_bad)
    figures = {"train_auc": train_auc, "train_ks": metrics.ks(-evaluation.train_scores, evaluation.train_bad)}
    if evaluation.test_scores is not None:
        test_auc = metrics.auc(-evaluation.test_scores, evaluation.test_bad)
        figures.update(test_auc=test_auc, test_ks=metrics.ks(-evaluation.test_scores, evaluation.test_bad))
        figures["gini"] = metrics.gini(test_auc)
    else:
        figures.update(test_auc=None, test_ks=None, gini=metrics.gini(train_auc))
    return figures


def _categories(column: pd.Series) -> frozenset[str]:
    return frozenset(str(v) for v in categorical_values(column).dropna().unique())


def _correlation_sample(rows: int, rng: np.random.Generator) -> np.ndarray:
    """Rows on which WOE correlations are measured: all of a small frame, a fixed-size sample of a big one
    (a correlation from 200,000 rows is exact to about ±0.005, and costs no copy of the whole design)."""
    if rows <= CORRELATION_SAMPLE:
        return np.arange(rows)
    return np.sort(rng.choice(rows, CORRELATION_SAMPLE, replace=False))


def _drop_correlated(candidates, woe_columns, review, max_correlation) -> list[str]:
    """Greedy by IV: keep a characteristic unless its WOE correlates beyond the limit with a kept one."""
    kept: list[str] = []
    if len(candidates) <= 1:
        return list(candidates)
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = np.nan_to_num(np.corrcoef(np.vstack([woe_columns[name] for name in candidates])))
    position = {name: i for i, name in enumerate(candidates)}
    for name in candidates:
        worst = None
        for other in kept:
            r = float(matrix[position[name], position[other]])
            if abs(r) > max_correlation and (worst is None or abs(r) > abs(worst[1])):
                worst = (other, r)
        if worst is None:
            kept.append(name)
        else:
            review[name].status = DROPPED_CORRELATED
            review[name].correlated_with, review[name].correlation = worst
    return kept


def _regress(selected, binned, bin_index, bad, review, parameters):
    """Logistic regression on WOE; a negative coefficient means a collinear reversal, so drop and refit."""
    selected = list(selected)
    design = np.empty((bad.size, len(selected)), dtype=np.float64, order="F")
    for j, name in enumerate(selected):
        np.take(binned[name].woes, bin_index[name], out=design[:, j])
    while selected:
        estimator = LogisticRegression(C=parameters.regularisation_c, solver="newton-cholesky", max_iter=200)
        estimator.fit(design, bad)
        betas = estimator.coef_[0]
        if (betas > 0).all():
            return estimator, selected
        weakest = int(np.argmin(betas))
        review[selected[weakest]].status = DROPPED_NEGATIVE_COEFFICIENT
        review[selected[weakest]].coefficient = float(betas[weakest])
        selected.pop(weakest)
        design = np.delete(design, weakest, axis=1)
    return None, selected


def _baseline(train_scores, indices, binned) -> dict:
    """What monitoring compares against: the training score deciles and each characteristic's bin shares."""
    edges = metrics.decile_edges(train_scores)
    return {
        "score_edges": [float(e) for e in edges],
        "score_shares": [float(s) for s in metrics.bucket_shares(train_scores, edges)],
        "bin_shares": {
            name: [float(s) for s in metrics.bin_shares(index, len(binned[name].bins))]
            for name, index in indices.items()
        },
    }
