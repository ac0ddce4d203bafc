"""What each risk indicator means (DOMAIN.md §9): buckets, thresholds, cohorts and the bad definition.

Pure: no ORM, no database. The SQL in `compute` and the page's definitions both read these constants, so
the figures and the words on the page cannot drift apart.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

# DPD buckets in ageing order; a snapshot's `bucket` holds one of these (servicing's BUCKET_BOUNDS).
BUCKETS = ("C", "M1", "M2", "M3", "M4", "M5", "M6", "M6+")
# Overdue rates are reported for loans at least this many days past due.
OVERDUE_THRESHOLDS = (1, 30, 90)
# FPDn: the first installment reached n days past due.
FPD_THRESHOLDS = (7, 30)
# Vintage curves count loans ever this many days past due by each month on book.
VINTAGE_DPD = 30
# Flows between consecutive buckets: C→M1, M1→M2, …, M6→M6+.
FLOWS = tuple(f"{BUCKETS[i]}>{BUCKETS[i + 1]}" for i in range(len(BUCKETS) - 1))


def lag_months(threshold: int) -> int:
    """The lagged overdue rate divides by the book ⌈n/30⌉ months earlier (DOMAIN.md §9)."""
    return -(-threshold // 30)


@dataclass(frozen=True)
class BadDefinition:
    """ "ever DPD30+ within 6 months": bad once DPD ≥ ``dpd`` is reached by months-on-book ``months``.

    A loan is *matured* once it is bad, or once its window has closed (the last day of its disbursement
    month + ``months``) without being bad — then it is good. Until then its outcome is unknown.
    """

    dpd: int = 30
    months: int = 6

    @property
    def text(self) -> str:
        return f"ever DPD{self.dpd}+ within {self.months} months"

    def window_end(self, disbursed_month: date) -> date:
        return month_end(add_months(disbursed_month, self.months))


DEFAULT_BAD = BadDefinition()
_BAD_PATTERN = re.compile(r"^\s*ever\s+DPD\s*(\d+)\s*\+\s+within\s+(\d+)\s+months?\s*$", re.IGNORECASE)


def bad_definition_parse(text: str) -> BadDefinition:
    """Read "ever DPD30+ within 6 months"; anything else is refused with the form it must take."""
    match = _BAD_PATTERN.match(text or "")
    if not match:
        raise ValueError(_('A bad definition reads like "ever DPD30+ within 6 months"; got %(text)r.') % {"text": text})
    dpd, months = int(match.group(1)), int(match.group(2))
    if dpd < 1 or months < 1:
        raise ValueError(_("The DPD threshold and the months must both be at least 1."))
    return BadDefinition(dpd=dpd, months=months)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from ``earlier``'s month to ``later``'s (MOB: the disbursement month is 0)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def observation_dates(*, first: date, as_of: date) -> list[date]:
    """Every month end from ``first``'s month up to ``as_of``, then ``as_of`` itself if it is not one."""
    dates = []
    end = month_end(first)
    while end <= as_of:
        dates.append(end)
        end = month_end(add_months(end, 1))
    if not dates or dates[-1] != as_of:
        dates.append(as_of)
    return dates
