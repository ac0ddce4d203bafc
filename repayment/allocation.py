"""Allocating a borrower's payment over what is owed, by strategy (the product's setting).

Strategies (each a list of passes over the installments, oldest due date first; a pass settles the
listed components of one installment before moving to the next):

- ``OLDEST_FIRST`` — installment by installment; within one, penalty → fee → interest → principal (the
  common order of Chinese lenders);
- ``PENALTY_INTEREST_PRINCIPAL`` — every installment's penalty, then every fee, then every interest,
  then every principal (the costly components of all arrears before any principal);
- ``INTEREST_PRINCIPAL_PENALTY`` — installment by installment fee → interest → principal, and penalties
  only after all of those (the borrower-friendly order some products use).

The result lists the part paid of each component of each installment; whatever exceeds everything owed
is the overpayment — returned, never dropped (it is booked to borrower overpayments, 2202, or used as a
prepayment). Σ parts + overpayment == amount, always.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .exceptions import InvalidInput, UnknownAllocationStrategy, _
from .validation import ZERO, parse_amount, parse_date

PENALTY = "PENALTY"
FEE = "FEE"
INTEREST = "INTEREST"
PRINCIPAL = "PRINCIPAL"
COMPONENTS = (PENALTY, FEE, INTEREST, PRINCIPAL)

OLDEST_FIRST = "OLDEST_FIRST"
PENALTY_INTEREST_PRINCIPAL = "PENALTY_INTEREST_PRINCIPAL"
INTEREST_PRINCIPAL_PENALTY = "INTEREST_PRINCIPAL_PENALTY"
_PASSES: dict[str, tuple[tuple[str, ...], ...]] = {
    OLDEST_FIRST: ((PENALTY, FEE, INTEREST, PRINCIPAL),),
    PENALTY_INTEREST_PRINCIPAL: ((PENALTY,), (FEE,), (INTEREST,), (PRINCIPAL,)),
    INTEREST_PRINCIPAL_PENALTY: ((FEE, INTEREST, PRINCIPAL), (PENALTY,)),
}
ALLOCATION_STRATEGIES = tuple(_PASSES)


@dataclass(frozen=True, slots=True)
class Due:
    """What is still owed of one installment, by component."""

    number: int
    due_date: date
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fee: Decimal = ZERO
    penalty: Decimal = ZERO

    def owed(self, component: str) -> Decimal:
        return getattr(self, component.lower())


@dataclass(frozen=True, slots=True)
class AllocatedPart:
    number: int
    component: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    """Parts in the order they were settled, and the overpayment (what exceeded everything owed)."""

    amount: Decimal
    parts: tuple[AllocatedPart, ...]
    overpayment: Decimal

    @property
    def allocated(self) -> Decimal:
        return sum((part.amount for part in self.parts), ZERO)

    def by_component(self) -> dict[str, Decimal]:
        """Total paid per component (every component present, zero when nothing went to it)."""
        totals = dict.fromkeys(COMPONENTS, ZERO)
        for part in self.parts:
            totals[part.component] += part.amount
        return totals

    def for_installment(self, number: int) -> dict[str, Decimal]:
        """What went to each component of installment ``number``."""
        totals = dict.fromkeys(COMPONENTS, ZERO)
        for part in self.parts:
            if part.number == number:
                totals[part.component] += part.amount
        return totals


def allocate(*, amount: Decimal, dues: Sequence[Due], strategy: str = OLDEST_FIRST) -> Allocation:
    """Allocate ``amount`` over ``dues`` (any order; settled oldest due date first) by ``strategy``."""
    amount = parse_amount(amount, field="amount")
    if strategy not in ALLOCATION_STRATEGIES:
        raise UnknownAllocationStrategy(
            _("strategy must be one of %(choices)s: %(value)s")
            % {"choices": ", ".join(ALLOCATION_STRATEGIES), "value": strategy},
            field="strategy",
            value=repr(strategy),
        )
    ordered = sorted(_parse_dues(dues), key=lambda due: (due.due_date, due.number))
    order = ((due, component) for components in _PASSES[strategy] for due in ordered for component in components)
    parts = []
    left = amount
    for due, component in order:
        if left == 0:
            break
        paid = min(left, due.owed(component))
        if paid > 0:
            parts.append(AllocatedPart(number=due.number, component=component, amount=paid))
            left -= paid
    return Allocation(amount=amount, parts=tuple(parts), overpayment=left)


def _parse_dues(dues: Sequence[Due]) -> Iterator[Due]:
    seen = set()
    for index, due in enumerate(dues):
        field = f"dues[{index}]"
        if not isinstance(due, Due) or isinstance(due.number, bool) or not isinstance(due.number, int):
            raise InvalidInput(
                _("%(field)s must be a Due with a whole installment number") % {"field": field}, field=field
            )
        if due.number in seen:
            raise InvalidInput(
                _("%(field)s repeats installment %(number)s") % {"field": field, "number": due.number}, field=field
            )
        seen.add(due.number)
        parse_date(due.due_date, field=f"{field}.due_date")
        yield Due(
            number=due.number,
            due_date=due.due_date,
            **{
                component.lower(): parse_amount(
                    due.owed(component), field=f"{field}.{component.lower()}", allow_zero=True
                )
                for component in COMPONENTS
            },
        )
