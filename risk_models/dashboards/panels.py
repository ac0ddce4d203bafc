"""The dashboard's panels: each a chart, the table behind it and the definition of what it shows.

A panel reads summed cells (`selectors.cells`) and divides once; amounts stay Decimal and travel to the
chart as decimal strings (Chart.js reads numeric strings), rates as percentages rounded half-up to 0.01.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..indicators import measures
from ..indicators.definitions import (
    BUCKETS,
    DEFAULT_BAD,
    FLOWS,
    FPD_THRESHOLDS,
    OVERDUE_THRESHOLDS,
    VINTAGE_DPD,
    lag_months,
    month_start,
)
from ..scorecard import metrics
from . import selectors
from .selectors import Slice

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Longer ranges than this show applications and disbursements by month rather than by day.
DAILY_RANGE_DAYS = 92
# REG_PARTNER_CONCENTRATION: alert when a partner's balance reaches this share of its limit.
ALERT_PERCENT = Decimal(90)
TEXT, COUNT, AMOUNT, PERCENT, NUMBER = "text", "count", "amount", "percent", "number"


@dataclass(frozen=True)
class Options:
    """How a panel is cut: the series of the approval and balance charts, and count or balance for rates."""

    approval_by: str = "channel"  # channel | product_code | scorecard_version
    outstanding_by: str = "product_code"  # product_code | partner_code | grade
    basis: str = "balance"  # balance | count


@dataclass
class Table:
    columns: list[tuple[str, str]]  # (heading, kind)
    rows: list[list] = field(default_factory=list)

    @property
    def headings(self) -> list[str]:
        return [heading for heading, _kind in self.columns]

    def display_rows(self) -> list[list[str]]:
        """Cells as the page shows them: thousands separators, amounts to the fen, rates with a % sign."""
        return [
            [_shown(value, kind) for value, (_heading, kind) in zip(row, self.columns, strict=True)]
            for row in self.rows
        ]

    def body_html(self) -> str:
        """The table's rows as HTML, every cell escaped: built here rather than in a template loop, which
        costs a few hundred microseconds a cell in a page of a thousand cells."""
        if not self.rows:
            return format_html('<tr><td colspan="{}">–</td></tr>', len(self.columns))
        return mark_safe(  # noqa: S308 — every cell is escaped just above
            "".join(
                "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in self.display_rows()
            )
        )

    def csv_rows(self) -> list[list[str]]:
        """Cells as the CSV carries them: plain numbers (rates in percent), blank when there is none."""
        return [["" if value is None else str(value) for value in row] for row in self.rows]


def _shown(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == COUNT:
        return f"{value:,}"
    if kind == AMOUNT:
        return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP):,}"
    if kind == PERCENT:
        return f"{value}%"
    return str(value)


@dataclass
class Panel:
    key: str
    title: str
    definition: str
    chart: dict
    table: Table
    note: str = ""  # how the chart is cut, e.g. "by balance"

    @property
    def chart_element_id(self) -> str:
        return f"chart-data-{self.key}"

    @property
    def has_data(self) -> bool:
        return any(any(value is not None for value in d["data"]) for d in self.chart.get("datasets", []))


def percent(numerator, denominator) -> Decimal | None:
    """numerator / denominator as a percentage, half-up to 0.01; None when the denominator is zero."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(CENT, rounding=ROUND_HALF_UP)


def _chart(kind: str, labels: list, datasets: list[dict], **flags) -> dict:
    return {
        "type": kind,
        "labels": [str(label) for label in labels],
        "datasets": [
            {**d, "data": [None if v is None else str(v) for v in d["data"]]} for d in datasets if d.get("data")
        ],
        **flags,
    }


def _label(period: date, monthly: bool) -> str:
    return period.strftime("%Y-%m") if monthly else period.isoformat()


def _monthly(view: Slice) -> bool:
    return (view.date_to - view.date_from).days > DAILY_RANGE_DAYS


def _cohorts(view: Slice) -> Slice:
    """Monthly cohorts (disbursement or decision months) in range: from the month the range starts in."""
    return replace(view, date_from=month_start(view.date_from))


def _dimension_label(value: str) -> str:
    return value or _("(unknown)")


DIMENSION_TITLES = {
    "channel": gettext_lazy("Channel"),
    "product_code": gettext_lazy("Product"),
    "scorecard_version": gettext_lazy("Scorecard version"),
    "partner_code": gettext_lazy("Partner"),
    "grade": gettext_lazy("Grade"),
}


# --- applications ------------------------------------------------------------------------------------------


def approval_panel(view: Slice, options: Options) -> Panel:
    monthly = _monthly(view)
    by = options.approval_by
    rows = selectors.cells("APPROVAL", view, by=("period", by), monthly=monthly)
    labels = sorted({row["period"] for row in rows})
    groups = sorted({row[by] for row in rows})
    by_key = {(row["period"], row[by]): row for row in rows}
    totals = _totals(rows, ("period",))
    datasets = [{"label": _("All"), "data": [percent(*_counts(totals.get((p,)))) for p in labels]}]
    for group in groups:
        data = [percent(*_counts(by_key.get((p, group)))) for p in labels]
        datasets.append({"label": _dimension_label(group), "data": data})
    table = Table(
        [
            (_("Period"), TEXT),
            (str(DIMENSION_TITLES[by]), TEXT),
            (_("Decided"), COUNT),
            (_("Approved"), COUNT),
            (_("Approval rate"), PERCENT),
            (_("Amount requested"), AMOUNT),
            (_("Amount approved"), AMOUNT),
        ]
    )
    for period in labels:
        for group, row in [(_("All"), totals[(period,)])] + [
            (_dimension_label(g), by_key[(period, g)]) for g in groups if (period, g) in by_key
        ]:
            table.rows.append(
                [
                    _label(period, monthly),
                    group,
                    row["count_denominator"],
                    row["count_numerator"],
                    percent(row["count_numerator"], row["count_denominator"]),
                    row["amount_denominator"],
                    row["amount_numerator"],
                ]
            )
    return Panel(
        "approval",
        _("Approval rate"),
        _(
            "Approved ÷ decided applications (approved + declined; those still with a credit officer are not "
            "decided yet), by decision date — by month when the range is longer than three months. An officer's "
            "final answer replaces the engine's referral. Split by channel, product or scorecard version."
        ),
        _chart("line", [_label(p, monthly) for p in labels], datasets, percent=True),
        table,
    )


def score_band_panel(view: Slice, options: Options) -> Panel:
    rows = selectors.cells("APPROVAL_BY_BAND", _cohorts(view), by=("scorecard_version", "key"))
    versions = sorted({row["scorecard_version"] for row in rows})
    baselines = selectors.scorecard_baselines(versions=versions)
    width = max((len(edges) + 1 for edges, _shares in baselines.values()), default=0)
    by_key = {(row["scorecard_version"], int(row["key"])): row for row in rows}
    labels = [_("band %(n)s") % {"n": band + 1} for band in range(width)]
    datasets, table = (
        [],
        Table(
            [
                (_("Scorecard version"), TEXT),
                (_("Score band"), TEXT),
                (_("Decided"), COUNT),
                (_("Approved"), COUNT),
                (_("Approval rate"), PERCENT),
            ]
        ),
    )
    for version in versions:
        edges = baselines.get(version, ([], []))[0]
        names = measures.band_labels(edges)
        data = []
        for band in range(width):
            row = by_key.get((version, band))
            data.append(percent(*_counts(row)))
            if row and band < len(names):
                rate = percent(row["count_numerator"], row["count_denominator"])
                table.rows.append([version, names[band], row["count_denominator"], row["count_numerator"], rate])
        datasets.append({"label": version, "data": data})
    return Panel(
        "score_bands",
        _("Approval rate by score band"),
        _(
            "Approved ÷ decided applications in each band of the scorecard's training scores (band 1 = the "
            "lowest tenth of training scores, the riskiest), over the decision months in range. A working card "
            "approves more as the band rises."
        ),
        _chart("bar", labels, datasets, percent=True),
        table,
    )


def psi_panel(view: Slice, options: Options) -> Panel:
    rows = selectors.cells("SCORE_PSI", _cohorts(view), by=("period", "scorecard_version", "key"))
    versions = sorted({row["scorecard_version"] for row in rows})
    baselines = selectors.scorecard_baselines(versions=versions)
    months = sorted({row["period"] for row in rows})
    counts: dict[tuple, dict[int, int]] = defaultdict(dict)
    for row in rows:
        counts[(row["period"], row["scorecard_version"])][int(row["key"])] = row["count_numerator"]
    table = Table(
        [
            (_("Month"), TEXT),
            (_("Scorecard version"), TEXT),
            (_("Scored applications"), COUNT),
            (_("PSI"), NUMBER),
            (_("Status"), TEXT),
        ]
    )
    datasets = []
    for version in versions:
        if version not in baselines:
            continue
        shares = baselines[version][1]
        data = []
        for month in months:
            observed = counts.get((month, version))
            if not observed:
                data.append(None)
                continue
            actual = [observed.get(band, 0) for band in range(len(shares))]
            psi = measures.psi_from_counts(shares, actual)
            shown = None if psi is None else Decimal(str(psi)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
            data.append(shown)
            table.rows.append([month.strftime("%Y-%m"), version, sum(actual), shown, _psi_status(psi)])
        datasets.append({"label": version, "data": data})
    return Panel(
        "psi",
        _("Score stability (PSI) by month"),
        _(
            "PSI = Σ (Aᵢ − Eᵢ)·ln(Aᵢ / Eᵢ) over the card's training score deciles: Eᵢ the training share of "
            "decile i, Aᵢ the share of the month's scored applications that fell in it (shares floored at "
            "0.0001). Below 0.10 stable, 0.10–0.25 watch, 0.25 and above act."
        ),
        _chart("bar", [m.strftime("%Y-%m") for m in months], datasets, thresholds=["0.10", "0.25"]),
        table,
    )


def _psi_status(psi: float | None) -> str:
    return {
        "STABLE": _("stable"),
        "WATCH": _("watch"),
        "ACT": _("act"),
        "UNKNOWN": "–",
    }[metrics.psi_status(psi)]


def ks_auc_panel(view: Slice, options: Options) -> Panel:
    rows = selectors.cells("SCORE_OUTCOME", _cohorts(view), by=("scorecard_version", "key"))
    histograms: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for row in rows:
        histograms[row["scorecard_version"]].append((int(row["key"]), row["count_numerator"], row["count_denominator"]))
    table = Table(
        [
            (_("Scorecard version"), TEXT),
            (_("Matured loans"), COUNT),
            (_("Bad"), COUNT),
            (_("Bad rate"), PERCENT),
            (_("KS"), NUMBER),
            (_("AUC"), NUMBER),
            (_("Gini"), NUMBER),
        ]
    )
    versions = sorted(histograms)
    ks_data, auc_data = [], []
    for version in versions:
        scores, bads, totals = zip(*histograms[version], strict=True)
        ks, auc = measures.ks_auc_from_histogram(scores, bads, totals)
        ks_shown, auc_shown = _four(ks), _four(auc)
        gini = None if auc is None else _four(metrics.gini(auc))
        ks_data.append(ks_shown)
        auc_data.append(auc_shown)
        table.rows.append([version, sum(totals), sum(bads), percent(sum(bads), sum(totals)), ks_shown, auc_shown, gini])
    return Panel(
        "ks_auc",
        _("KS and AUC on matured loans"),
        _(
            "Loans decided in range whose outcome has matured: bad = %(bad)s; good = not bad when that window "
            "closed. KS = max |F_bad − F_good| over score thresholds; AUC = the chance that a bad loan scored "
            "below a good one (ties count half); Gini = 2·AUC − 1."
        )
        % {"bad": DEFAULT_BAD.text},
        _chart("bar", versions, [{"label": _("KS"), "data": ks_data}, {"label": _("AUC"), "data": auc_data}]),
        table,
    )


def _four(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


# --- the book ----------------------------------------------------------------------------------------------


def disbursed_panel(view: Slice, options: Options) -> Panel:
    monthly = _monthly(view)
    rows = selectors.cells("DISBURSED", view, monthly=monthly)
    labels = [_label(row["period"], monthly) for row in rows]
    datasets = [
        {"label": _("Amount disbursed"), "data": [row["amount_numerator"] for row in rows], "yAxisID": "y"},
        {
            "label": _("Loans disbursed"),
            "data": [row["count_numerator"] for row in rows],
            "type": "line",
            "yAxisID": "y1",
        },
    ]
    table = Table([(_("Period"), TEXT), (_("Loans disbursed"), COUNT), (_("Amount disbursed"), AMOUNT)])
    table.rows = [
        [label, row["count_numerator"], row["amount_numerator"]] for label, row in zip(labels, rows, strict=True)
    ]
    return Panel(
        "disbursed",
        _("Disbursed count and amount"),
        _(
            "Loans paid out and their principal, by disbursement date (by month for ranges over three months). "
            "Read from the performance snapshots: a loan opened and repaid inside one month more than 90 days "
            "ago has no snapshot left and is not counted."
        ),
        _chart("bar", labels, datasets, dual_axis=True),
        table,
    )


def outstanding_panel(view: Slice, options: Options) -> Panel:
    by = options.outstanding_by
    if by == "partner_code":
        series = _partner_balances(view)
    else:
        rows = selectors.cells("OUTSTANDING", view, by=("period", by))
        series = [(row["period"], row[by], row["count_denominator"], row["amount_denominator"]) for row in rows]
    periods = sorted({period for period, *_rest in series})
    groups = sorted({group for _period, group, *_rest in series})
    balance = {(period, group): amount for period, group, _loans, amount in series}
    totals = defaultdict(Decimal)
    for period, _group, _loans, amount in series:
        totals[period] += amount
    datasets = [
        {"label": _dimension_label(group), "data": [balance.get((p, group)) for p in periods]} for group in groups
    ]
    table = Table(
        [
            (_("Date"), TEXT),
            (str(DIMENSION_TITLES[by]), TEXT),
            (_("Loans"), COUNT),
            (_("Outstanding principal"), AMOUNT),
            (_("Share of the book"), PERCENT),
        ]
    )
    table.rows = [
        [period.isoformat(), _dimension_label(group), loans, amount, percent(amount, totals[period])]
        for period, group, loans, amount in sorted(series)
    ]
    return Panel(
        "outstanding",
        _("Outstanding principal"),
        _(
            "Unpaid principal of active loans (在贷余额) at each month end and on the date shown, by product, "
            "grade or funder. By funder, each partner's part of co-funded loans is split by the product's "
            "funding shares and the rest is ours; that view is of the whole book (product and channel filters "
            "do not apply)."
        ),
        _chart("bar", [p.isoformat() for p in periods], datasets, stacked=True),
        table,
    )


def _partner_balances(view: Slice) -> list[tuple[date, str, int, Decimal]]:
    partner_rows = selectors.cells("PARTNER", view, by=("period", "partner_code", "key"), dimensions=False)
    own_rows = selectors.cells("OUTSTANDING", view, dimensions=False)
    series = [
        (row["period"], row["partner_code"], row["count_numerator"], row["amount_numerator"])
        for row in partner_rows
        if row["key"] == "" and (not view.partner or row["partner_code"] == view.partner)
    ]
    if not view.partner:
        series += [
            (row["period"], _("own funds"), row["count_denominator"], row["amount_numerator"]) for row in own_rows
        ]
    return series


def dpd_bucket_panel(view: Slice, options: Options) -> Panel:
    rows = selectors.cells("DPD_BUCKET", view, by=("period", "key"))
    periods = sorted({row["period"] for row in rows})
    amount_field, count_field = "amount_numerator", "count_numerator"
    field_used = amount_field if options.basis == "balance" else count_field
    totals = defaultdict(Decimal)
    for row in rows:
        totals[row["period"]] += row[field_used]
    by_key = {(row["period"], row["key"]): row for row in rows}
    datasets = [
        {
            "label": bucket,
            "data": [
                percent(by_key[(p, bucket)][field_used], totals[p]) if (p, bucket) in by_key else 0 for p in periods
            ],
        }
        for bucket in BUCKETS
    ]
    count_totals = defaultdict(int)
    balance_totals = defaultdict(Decimal)
    for row in rows:
        count_totals[row["period"]] += row[count_field]
        balance_totals[row["period"]] += row[amount_field]
    table = Table(
        [
            (_("Date"), TEXT),
            (_("Bucket"), TEXT),
            (_("Loans"), COUNT),
            (_("Share of loans"), PERCENT),
            (_("Outstanding principal"), AMOUNT),
            (_("Share of balance"), PERCENT),
        ]
    )
    table.rows = _cell_rows(
        by_key,
        periods,
        BUCKETS,
        lambda period, bucket, row: [
            period.isoformat(),
            bucket,
            row[count_field],
            percent(row[count_field], count_totals[period]),
            row[amount_field],
            percent(row[amount_field], balance_totals[period]),
        ],
    )
    return Panel(
        "dpd_buckets",
        _("DPD bucket distribution"),
        _(
            "Share of the active book in each bucket at each month end and on the date shown. DPD = days since "
            "the due date of the oldest unpaid installment. C (M0) current; M1 1–30; M2 31–60; M3 61–90; M4 "
            "91–120; M5 121–150; M6 151–180; M6+ over 180 (written off at 181)."
        ),
        _chart("bar", [p.isoformat() for p in periods], datasets, stacked=True, percent=True),
        table,
        note=_basis_note(options),
    )


def overdue_panel(view: Slice, options: Options) -> Panel:
    coincident = selectors.cells("OVERDUE", view, by=("period", "key"))
    lagged = selectors.cells("OVERDUE_LAGGED", view, by=("period", "key"))
    periods = sorted({row["period"] for row in coincident})
    numerator, denominator = _basis_fields(options)
    datasets, table = (
        [],
        Table(
            [
                (_("Date"), TEXT),
                (_("Rate"), TEXT),
                (_("Overdue loans"), COUNT),
                (_("Loans"), COUNT),
                (_("By count"), PERCENT),
                (_("Overdue principal"), AMOUNT),
                (_("Principal"), AMOUNT),
                (_("By balance"), PERCENT),
            ]
        ),
    )
    for kind, rows in ((_("coincident"), coincident), (_("lagged"), lagged)):
        by_key = {(row["period"], int(row["key"])): row for row in rows}
        for n in OVERDUE_THRESHOLDS:
            name = f"DPD{n}+ {kind}"
            datasets.append(
                {
                    "label": name,
                    "data": [percent(*_pair(by_key.get((p, n)), numerator, denominator)) for p in periods],
                    "dashed": kind == _("lagged"),
                }
            )
            table.rows += _cell_rows(
                by_key, periods, [n], lambda period, _n, row, name=name: [period.isoformat(), name, *_rates(row)]
            )
    lags = ", ".join(f"DPD{n}+: {lag_months(n)}" for n in OVERDUE_THRESHOLDS)
    return Panel(
        "overdue",
        _("Overdue rates"),
        _(
            "DPDn+ coincident = principal (or count) of active loans at least n days past due ÷ the whole active "
            "book on the same date. Lagged = the same numerator ÷ the book ⌈n/30⌉ month ends earlier "
            "(months: %(lags)s), which removes the dilution of a fast-growing book; shown at month ends."
        )
        % {"lags": lags},
        _chart("line", [p.isoformat() for p in periods], datasets, percent=True),
        table,
        note=_basis_note(options),
    )


def fpd_panel(view: Slice, options: Options) -> Panel:
    rows = selectors.cells("FPD", _cohorts(view), by=("period", "key"))
    months = sorted({row["period"] for row in rows})
    by_key = {(row["period"], int(row["key"])): row for row in rows}
    numerator, denominator = ("count_numerator", "count_denominator")
    datasets = [
        {"label": f"FPD{n}", "data": [percent(*_pair(by_key.get((m, n)), numerator, denominator)) for m in months]}
        for n in FPD_THRESHOLDS
    ]
    table = Table(
        [
            (_("Disbursement month"), TEXT),
            (_("Rate"), TEXT),
            (_("First installment ≥ n days late"), COUNT),
            (_("First installment due ≥ n days"), COUNT),
            (_("By count"), PERCENT),
            (_("By principal"), PERCENT),
        ]
    )
    table.rows = _cell_rows(
        by_key,
        months,
        FPD_THRESHOLDS,
        lambda month, n, row: [month.strftime("%Y-%m"), f"FPD{n}", *_rates(row)[:3], _rates(row)[5]],
    )
    return Panel(
        "fpd",
        _("First payment default (FPD7, FPD30)"),
        _(
            "FPDn by disbursement month = loans whose first installment reached n days past due ÷ loans whose "
            "first installment fell due at least n days before the date shown (first due date + n ≤ date)."
        ),
        _chart("line", [m.strftime("%Y-%m") for m in months], datasets, percent=True),
        table,
    )


def vintage_panel(view: Slice, options: Options) -> Panel:
    rows = selectors.cells("VINTAGE", _cohorts(view), by=("period", "key"))
    cohorts = sorted({row["period"] for row in rows})
    mobs = sorted({int(row["key"]) for row in rows})
    numerator, denominator = _basis_fields(options, count="count", amount="amount")
    by_key = {(row["period"], int(row["key"])): row for row in rows}
    datasets = [
        {
            "label": cohort.strftime("%Y-%m"),
            "data": [percent(*_pair(by_key.get((cohort, mob)), numerator, denominator)) for mob in mobs],
        }
        for cohort in cohorts
    ]
    table = Table([(_("Disbursement month"), TEXT), (_("Loans"), COUNT)] + [(f"MOB{mob}", PERCENT) for mob in mobs])
    for cohort in cohorts:
        first = by_key.get((cohort, 0)) or next(r for (c, _m), r in by_key.items() if c == cohort)
        table.rows.append(
            [cohort.strftime("%Y-%m"), first["count_denominator"]]
            + [percent(*_pair(by_key.get((cohort, mob)), numerator, denominator)) for mob in mobs]
        )
    return Panel(
        "vintage",
        _("Vintage curves (%(n)s+ @ MOB)") % {"n": VINTAGE_DPD},
        _(
            "For each disbursement month: the share of its loans (or of its principal) that have ever been "
            "%(n)s or more days past due by each month on book. MOB0 is the disbursement month; a curve ends "
            "at the month of the date shown."
        )
        % {"n": VINTAGE_DPD},
        _chart("line", [f"MOB{mob}" for mob in mobs], datasets, percent=True),
        table,
        note=_basis_note(options),
    )


def flow_panel(view: Slice, options: Options) -> Panel:
    rows = selectors.cells("FLOW", view, by=("period", "key"))
    months = sorted({row["period"] for row in rows})
    numerator, denominator = _basis_fields(options)
    by_key = {(row["period"], row["key"]): row for row in rows}
    datasets = [
        {
            "label": flow.replace(">", "→"),
            "data": [percent(*_pair(by_key.get((m, flow)), numerator, denominator)) for m in months],
        }
        for flow in FLOWS
    ]
    table = Table([(_("Month end"), TEXT)] + [(flow.replace(">", "→"), PERCENT) for flow in FLOWS])
    for month in months:
        table.rows.append(
            [month.isoformat()] + [percent(*_pair(by_key.get((month, flow)), numerator, denominator)) for flow in FLOWS]
        )
    return Panel(
        "flow",
        _("Flow rates M0 → M1 → … → M6+"),
        _(
            "Flow Mi → Mi+1 at a month end = principal (or count) in bucket Mi+1 at that month end ÷ principal in "
            "Mi at the month end before. M6+ includes loans written off during the month (their write-off day's "
            "snapshot, kept 90 days)."
        ),
        _chart("line", [m.isoformat() for m in months], datasets, percent=True),
        table,
        note=_basis_note(options),
    )


def partner_panel(view: Slice, options: Options) -> Panel:
    rows = selectors.cells("PARTNER", view, by=("period", "partner_code", "key"), dimensions=False)
    periods = sorted({row["period"] for row in rows})
    partners = sorted({row["partner_code"] for row in rows if row["key"] == ""})
    if view.partner:
        partners = [p for p in partners if p == view.partner]
    by_key = {(row["period"], row["partner_code"], row["key"]): row for row in rows}
    datasets = [
        {
            "label": _("%(partner)s: balance ÷ limit") % {"partner": partner},
            "data": [
                percent(*_pair(by_key.get((p, partner, "")), "amount_numerator", "amount_denominator")) for p in periods
            ],
        }
        for partner in partners
    ]
    datasets.append(
        {
            "label": _("Our share of co-funded loans"),
            "data": [
                percent(*_pair(by_key.get((p, "", "OWN")), "amount_numerator", "amount_denominator")) for p in periods
            ],
            "dashed": True,
        }
    )
    table = Table(
        [
            (_("Date"), TEXT),
            (_("Funder"), TEXT),
            (_("Co-funded loans"), COUNT),
            (_("Principal funded"), AMOUNT),
            (_("Limit or co-funded principal"), AMOUNT),
            (_("Used or share"), PERCENT),
            (_("Alert"), TEXT),
        ]
    )
    for period in periods:
        for partner in partners:
            row = by_key.get((period, partner, ""))
            if row:
                used = percent(row["amount_numerator"], row["amount_denominator"])
                alert = _("near the limit") if used is not None and used >= ALERT_PERCENT else ""
                table.rows.append(
                    [period.isoformat(), partner, row["count_numerator"], row["amount_numerator"],
                     row["amount_denominator"] or None, used, alert]
                )  # fmt: skip
        own = by_key.get((period, "", "OWN"))
        if own:
            table.rows.append(
                [period.isoformat(), _("own funds"), own["count_numerator"], own["amount_numerator"],
                 own["amount_denominator"], percent(own["amount_numerator"], own["amount_denominator"]), ""]
            )  # fmt: skip
    return Panel(
        "partners",
        _("Partner concentration and our co-funding share"),
        _(
            "Each partner's outstanding principal in co-funded loans (the partners' part split by the product's "
            "funding shares) ÷ its configured concentration limit; alert at %(alert)s of the limit "
            "(REG_PARTNER_CONCENTRATION). Our share = our outstanding principal ÷ the outstanding principal of "
            "co-funded loans (at least %(own)s of every loan, REG_COFUND_RATIO). The whole book: product and "
            "channel filters do not apply."
        )
        % {"alert": "90%", "own": "30%"},
        _chart("line", [p.isoformat() for p in periods], datasets, percent=True),
        table,
    )


# --- helpers --------------------------------------------------------------------------------------------------


def _cell_rows(by_key: dict, outer, inner, make) -> list[list]:
    """One table row per (outer, inner) pair that has a cell, in order: ``make(outer, inner, cell)``."""
    return [make(a, b, by_key[(a, b)]) for a in outer for b in inner if (a, b) in by_key]


def _rates(row: dict) -> list:
    """A cell's numerator, denominator and rate, by count and then by amount."""
    return [
        row["count_numerator"],
        row["count_denominator"],
        percent(row["count_numerator"], row["count_denominator"]),
        row["amount_numerator"],
        row["amount_denominator"],
        percent(row["amount_numerator"], row["amount_denominator"]),
    ]


def _basis_note(options: Options) -> str:
    return _("by count") if options.basis == "count" else _("by balance")


def _counts(row: dict | None) -> tuple:
    return (row["count_numerator"], row["count_denominator"]) if row else (0, 0)


def _pair(row: dict | None, numerator: str, denominator: str) -> tuple:
    return (row[numerator], row[denominator]) if row else (0, 0)


def _basis_fields(options: Options, *, count: str = "count", amount: str = "amount") -> tuple[str, str]:
    prefix = count if options.basis == "count" else amount
    return f"{prefix}_numerator", f"{prefix}_denominator"


def _totals(rows: list[dict], by: tuple[str, ...]) -> dict[tuple, dict]:
    totals: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row[name] for name in by)
        total = totals.setdefault(key, dict.fromkeys(selectors.MEASURES, 0))
        for name in selectors.MEASURES:
            total[name] += row[name]
    return totals


PANELS: dict[str, Callable[[Slice, Options], Panel]] = {
    "approval": approval_panel,
    "disbursed": disbursed_panel,
    "outstanding": outstanding_panel,
    "dpd_buckets": dpd_bucket_panel,
    "overdue": overdue_panel,
    "fpd": fpd_panel,
    "vintage": vintage_panel,
    "flow": flow_panel,
    "partners": partner_panel,
    "psi": psi_panel,
    "ks_auc": ks_auc_panel,
    "score_bands": score_band_panel,
}


def panels_build(view: Slice, options: Options) -> list[Panel]:
    return [build(view, options) for build in PANELS.values()]
