"""The HTML report of a trained scorecard: one self-contained file (charts inlined as PNG data URIs).

matplotlib's object-oriented API with the Agg canvas only — no pyplot state, safe in threads and Celery
workers. Labels go through gettext, so a report rendered in Chinese uses a CJK font (Noto Sans CJK).
"""

import base64
import io
import itertools
from dataclasses import dataclass

import numpy as np
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from . import metrics
from .binning import MISSING_LABEL, BinnedCharacteristic
from .training import SELECTED, TrainingResult

FONTS = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "DejaVu Sans"],
    "axes.unicode_minus": False,  # the CJK fonts lack U+2212; a hyphen reads the same
    "font.size": 9,
}
CURVE_POINTS = 1500  # enough for a smooth curve, whatever the row count
GOOD_COLOUR, BAD_COLOUR, ACCENT = "#2f6f4f", "#b3261e", "#1d4f91"


@dataclass(frozen=True)
class ActiveComparison:
    """The candidate's and the active card's scores on the same rows, bucketed by the active's deciles."""

    version: str
    psi: float
    edges: list[float]
    active_shares: list[float]
    candidate_shares: list[float]

    @classmethod
    def from_scores(cls, *, version: str, active_scores, candidate_scores) -> "ActiveComparison":
        value, expected, actual = metrics.score_psi(active_scores, candidate_scores)
        edges = metrics.decile_edges(active_scores)
        return cls(version, value, [float(e) for e in edges], list(map(float, expected)), list(map(float, actual)))

    def as_dict(self) -> dict:
        return {
            "version": self.version,
            "psi": self.psi,
            "edges": self.edges,
            "active_shares": self.active_shares,
            "candidate_shares": self.candidate_shares,
        }


def render_report(
    *,
    version: str,
    result: TrainingResult,
    product_code: str = "",
    trained_by: str = "",
    trained_at: str = "",
    source_name: str = "",
    active: ActiveComparison | None = None,
) -> str:
    evaluation = result.evaluation
    held_out = evaluation.test_scores is not None
    scores = evaluation.test_scores if held_out else evaluation.train_scores
    bad = evaluation.test_bad if held_out else evaluation.train_bad
    card_names = set(result.card.names)
    points_by_name = {c.name: c.points for c in result.card.characteristics}
    with rc_context(FONTS):
        charts = {
            "roc": _roc_chart(evaluation),
            "ks": _ks_chart(scores, bad),
            "distribution": _distribution_chart(scores, bad),
            "calibration": _calibration_chart(scores, bad, result),
            "psi": _psi_chart(active) if active else None,
        }
        characteristics = [
            _characteristic_view(result.binned[row.name], row, points_by_name.get(row.name), result)
            for row in sorted(result.review, key=lambda r: (r.name not in card_names, -r.iv))
        ]
    low, high = result.card.score_range()
    return render_to_string(
        "risk_models/report.html",
        {
            "version": version,
            "product_code": product_code,
            "trained_by": trained_by,
            "trained_at": trained_at,
            "source_name": source_name,
            "metrics": result.metrics,
            "scaling": result.card.scaling,
            "factor": result.card.scaling.factor,
            "offset": result.card.scaling.offset,
            "intercept": result.card.intercept,
            "score_low": low,
            "score_high": high,
            "grade_bounds": list(zip("ABCD", result.card.grade_pd_bounds, strict=False)),
            "review": sorted(result.review, key=lambda r: -r.iv),
            "characteristics": characteristics,
            "charts": charts,
            "active": active,
            "active_rows": _active_rows(active) if active else [],
            "psi_status": metrics.psi_status(active.psi) if active else None,
            "reproducibility": result.reproducibility,
            "held_out": held_out,
        },
    )


def _characteristic_view(binned: BinnedCharacteristic, review, points, result: TrainingResult) -> dict:
    total = max(result.metrics["train_rows"], 1)
    rows = []
    for i, b in enumerate(binned.bins):
        rows.append(
            {
                "label": b.label if not b.is_missing else _("Missing"),
                "categories_unseen": b.categories if b.is_missing else (),
                "count": b.count,
                "share": b.count / total,
                "bads": b.bads,
                "bad_rate": (b.bads / b.count) if b.count else None,
                "woe": b.woe,
                "iv": b.iv,
                "neutral": b.neutral,
                "points": points[i] if points else None,
            }
        )
    return {
        "name": binned.name,
        "kind": binned.kind,
        "trend": binned.trend,
        "trend_iv": binned.trend_iv,
        "iv": binned.iv,
        "review": review,
        "on_card": review.status == SELECTED,
        "rows": rows,
        # charts for the card's characteristics only: a dropped one is read from its table
        "chart": _woe_chart(binned, points) if review.status == SELECTED else None,
    }


def _active_rows(active: ActiveComparison) -> list[dict]:
    labels = _bucket_labels(active.edges)
    return [
        {"bucket": label, "active": a, "candidate": c}
        for label, a, c in zip(labels, active.active_shares, active.candidate_shares, strict=True)
    ]


def _bucket_labels(edges: list[float]) -> list[str]:
    shown = [f"{e:g}" for e in edges]
    if not shown:
        return [_("all scores")]
    return [f"< {shown[0]}", *[f"[{a}, {b})" for a, b in itertools.pairwise(shown)], f"≥ {shown[-1]}"]


# ---- charts ---------------------------------------------------------------------------------------


def _png(figure: Figure) -> str:
    # Margins are set by each chart: a "tight" bounding box would draw every figure twice.
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _square_figure() -> tuple[Figure, object]:
    """The four performance charts share one size and margins, so they line up in a grid."""
    figure = Figure(figsize=(4.6, 4.0))
    figure.subplots_adjust(left=0.15, right=0.97, top=0.92, bottom=0.12)
    return figure, figure.add_subplot()


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.size <= CURVE_POINTS:
        return x, y
    keep = np.unique(np.linspace(0, x.size - 1, CURVE_POINTS).astype(int))
    return x[keep], y[keep]


def _roc_chart(evaluation) -> str:
    figure, axes = _square_figure()
    sets = [(_("training"), evaluation.train_scores, evaluation.train_bad, GOOD_COLOUR)]
    if evaluation.test_scores is not None:
        sets.append((_("test"), evaluation.test_scores, evaluation.test_bad, ACCENT))
    for label, scores, bad, colour in sets:
        false_positive, true_positive, _thresholds = roc_curve(bad, -scores)
        x, y = _thin(false_positive, true_positive)
        axes.plot(x, y, color=colour, label=f"{label} AUC {metrics.auc(-scores, bad):.3f}")
    axes.plot([0, 1], [0, 1], color="#999", linestyle=":")
    axes.set_xlabel(_("share of goods declined"))
    axes.set_ylabel(_("share of bads declined"))
    axes.set_title(_("ROC curve"))
    axes.legend(loc="lower right")
    return _png(figure)


def _ks_chart(scores, bad) -> str:
    curve = metrics.ks_curve(-scores, bad)
    figure, axes = _square_figure()
    x = -curve.thresholds
    xb, cumulative_bad = _thin(x, curve.cumulative_bad)
    xg, cumulative_good = _thin(x, curve.cumulative_good)
    axes.step(xb, cumulative_bad, where="post", color=BAD_COLOUR, label=_("bads at or below the score"))
    axes.step(xg, cumulative_good, where="post", color=GOOD_COLOUR, label=_("goods at or below the score"))
    axes.axvline(-curve.at, color="#555", linestyle="--")
    axes.set_title(_("KS %(ks).3f at score %(score)s") % {"ks": curve.ks, "score": f"{-curve.at:g}"})
    axes.set_xlabel(_("score"))
    axes.set_ylabel(_("cumulative share"))
    axes.legend(loc="lower right")
    return _png(figure)


def _distribution_chart(scores, bad) -> str:
    figure, axes = _square_figure()
    bad = bad.astype(bool)
    bins = np.histogram_bin_edges(scores, bins=30)
    axes.hist(scores[~bad], bins=bins, density=True, alpha=0.6, color=GOOD_COLOUR, label=_("goods"))
    axes.hist(scores[bad], bins=bins, density=True, alpha=0.6, color=BAD_COLOUR, label=_("bads"))
    axes.set_title(_("Score distribution of goods and bads"))
    axes.set_xlabel(_("score"))
    axes.set_ylabel(_("density"))
    axes.legend()
    return _png(figure)


def _calibration_chart(scores, bad, result: TrainingResult) -> str:
    compiled = result.card.compile()
    predicted = compiled.pd_for_scores(scores)
    order = np.argsort(predicted, kind="mergesort")
    deciles = np.array_split(order, 10)
    mean_predicted = [predicted[d].mean() for d in deciles if d.size]
    observed = [bad[d].mean() for d in deciles if d.size]
    figure, axes = _square_figure()
    positions = np.arange(1, len(observed) + 1)
    axes.bar(positions - 0.2, mean_predicted, width=0.4, color=ACCENT, label=_("predicted PD"))
    axes.bar(positions + 0.2, observed, width=0.4, color=BAD_COLOUR, label=_("observed bad rate"))
    axes.set_xticks(positions)
    axes.set_title(_("Calibration by decile of PD"))
    axes.set_xlabel(_("decile (lowest PD first)"))
    axes.set_ylabel(_("rate"))
    axes.legend(loc="upper left")
    return _png(figure)


def _woe_chart(binned: BinnedCharacteristic, points) -> str:
    labels = [b.label if not b.is_missing else _("Missing") for b in binned.bins]
    labels = [label if len(label) <= 28 else label[:26] + "…" for label in labels]
    woes = [b.woe for b in binned.bins]
    height = 0.32 * len(labels) + 0.9
    figure = Figure(figsize=(7.0, height))
    longest = max(len(label) for label in labels)
    figure.subplots_adjust(
        left=min(0.12 + 0.011 * longest, 0.45), right=0.86, top=1 - 0.35 / height, bottom=0.5 / height
    )
    axes = figure.add_subplot()
    positions = np.arange(len(labels))
    colours = [BAD_COLOUR if w > 0 else GOOD_COLOUR for w in woes]
    axes.barh(positions, woes, color=colours)
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    axes.axvline(0, color="#555", linewidth=0.8)
    if points:
        # the points in a column right of the plot, where no bar or label can cover them
        for y, p in enumerate(points):
            axes.text(1.02, y, _("%(points)s pts") % {"points": p}, transform=axes.get_yaxis_transform(), va="center")
    axes.set_xlabel(_("WOE (higher = riskier)"))
    axes.set_title(binned.name if binned.name != MISSING_LABEL else "")
    return _png(figure)


def _psi_chart(active: ActiveComparison) -> str:
    figure = Figure(figsize=(6.4, 3.4))
    figure.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.15)
    axes = figure.add_subplot()
    positions = np.arange(len(active.active_shares))
    axes.bar(positions - 0.2, active.active_shares, width=0.4, color="#888", label=_("active card"))
    axes.bar(positions + 0.2, active.candidate_shares, width=0.4, color=ACCENT, label=_("this card"))
    axes.set_xticks(positions, [str(i + 1) for i in positions])
    axes.set_xlabel(_("decile of the active card's scores"))
    axes.set_ylabel(_("share of applicants"))
    axes.set_title(_("PSI vs active %(version)s: %(psi).3f") % {"version": active.version, "psi": active.psi})
    axes.legend()
    return _png(figure)
