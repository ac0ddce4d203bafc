"""Co-lending (联合贷) splits, exact to the fen (DOMAIN.md §5).

Funders are always listed in one fixed order: our own share first, then the partners by id. Every split
uses the largest-remainder method in integer fens: each funder gets the floor of its exact part, and the
fens left over go to the largest remainders, ties to the funder listed first. So splits sum to the
amount exactly, are deterministic, and each part is within 0.01 of its exact share.

- `split_amount` — interest, penalty, write-offs of a period by share;
- `funded_amounts` — the principal split once at disbursement: ours rounded UP to the fen (so our
  amount is never below our share — "own share ≥ 30%" is checked on these amounts), partners by
  largest remainder over the rest;
- `split_principal` / `split_schedule_principal` — each installment's (or prepayment's) principal in
  proportion to each funder's remaining funded principal; the last installment gives each funder
  exactly what it has left, so every funder is repaid its funded amount to the fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal

from .exceptions import InvalidAmount, InvalidShares, _
from .validation import CENT, parse_amount, parse_decimal

ONE = Decimal(1)


def split_amount(*, amount: Decimal, shares: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` by ``shares`` (Decimals summing to exactly 1): 100.00 by [0.3, 0.7] → [30.00, 70.00].

    A zero amount splits into zeros (a period may bill no penalty); negative amounts are refused.
    """
    amount = parse_amount(amount, field="amount", allow_zero=True)
    shares = parse_shares(shares)
    return _from_cents(_largest_remainder(_cents(amount), _integer_weights(shares)))


def parse_shares(shares: Sequence[Decimal]) -> list[Decimal]:
    """Shares as exact Decimals in [0, 1] summing to exactly 1 — refused otherwise, never renormalised."""
    if isinstance(shares, str | bytes) or not isinstance(shares, Sequence) or not shares:
        raise InvalidShares(_("%(field)s must be a non-empty list of shares") % {"field": "shares"}, field="shares")
    parsed = []
    for index, share in enumerate(shares):
        field = f"shares[{index}]"
        value = parse_decimal(share, field=field, error=InvalidShares)
        if not 0 <= value <= 1:
            raise InvalidShares(
                _("%(field)s must be between 0 and 1: %(value)s") % {"field": field, "value": share}, field=field
            )
        parsed.append(value)
    if sum(parsed) != ONE:
        raise InvalidShares(
            _("%(field)s must sum to exactly 1, not %(total)s") % {"field": "shares", "total": sum(parsed)},
            field="shares",
            total=str(sum(parsed)),
        )
    return parsed


def funded_amounts(*, principal: Decimal, shares: Sequence[Decimal]) -> list[Decimal]:
    """What each funder lends of ``principal``; ``shares[0]`` is our own share, then the partners'.

    Ours = principal × own share rounded up to the fen; the partners split the rest by largest remainder
    in proportion to their shares. 1,000.01 at [0.3, 0.7] → [300.01, 700.00].
    """
    principal = parse_amount(principal, field="principal")
    shares = parse_shares(shares)
    own = (principal * shares[0]).quantize(CENT, rounding=ROUND_CEILING)
    partner_weights = shares[1:]
    if not partner_weights or own == principal:
        return [own] + [Decimal("0.00")] * len(partner_weights)
    partners = _largest_remainder(_cents(principal - own), _integer_weights(partner_weights))
    return [own, *_from_cents(partners)]


def split_by_weights(*, amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` in proportion to non-negative ``weights`` of any scale (not all zero), largest remainder."""
    amount = parse_amount(amount, field="amount", allow_zero=True)
    parsed = []
    for index, weight in enumerate(weights):
        value = parse_decimal(weight, field=f"weights[{index}]", error=InvalidShares)
        if value < 0:
            raise InvalidShares(
                _("%(field)s must not be negative: %(value)s") % {"field": f"weights[{index}]", "value": weight},
                field=f"weights[{index}]",
            )
        parsed.append(value)
    if not parsed:
        raise InvalidShares(_("%(field)s must be a non-empty list of shares") % {"field": "weights"}, field="weights")
    return _from_cents(_largest_remainder(_cents(amount), _integer_weights(parsed)))


def split_principal(*, amount: Decimal, remaining: Sequence[Decimal]) -> list[Decimal]:
    """Split a principal repayment in proportion to each funder's ``remaining`` funded principal.

    No funder is ever paid more than it has left; when ``amount`` is everything left, each gets exactly
    its remainder (the last installment).
    """
    amount = parse_amount(amount, field="amount", allow_zero=True)
    left = [parse_amount(value, field=f"remaining[{index}]", allow_zero=True) for index, value in enumerate(remaining)]
    if amount > sum(left):
        raise InvalidAmount(
            _("%(field)s is more than the funders' remaining principal") % {"field": "amount"},
            field="amount",
            remaining=str(sum(left)),
        )
    if amount == 0:
        return [Decimal("0.00")] * len(left)
    return _from_cents(_largest_remainder(_cents(amount), [_cents(value) for value in left]))


def split_schedule_principal(
    *, installment_principals: Sequence[Decimal], funded: Sequence[Decimal]
) -> list[list[Decimal]]:
    """Each installment's principal split over the funders: ``result[k][j]`` is funder j's part of installment k.

    ``installment_principals`` must sum to Σ ``funded`` (a schedule's principal parts); each funder's parts
    then sum to its funded amount exactly.
    """
    remaining = [parse_amount(value, field=f"funded[{index}]", allow_zero=True) for index, value in enumerate(funded)]
    parts = [parse_amount(value, field="installment_principals", allow_zero=True) for value in installment_principals]
    if sum(parts) != sum(remaining):
        raise InvalidAmount(
            _("%(field)s must sum to the funded amounts") % {"field": "installment_principals"},
            field="installment_principals",
        )
    result = []
    for principal_part in parts:
        split = split_principal(amount=principal_part, remaining=remaining)
        remaining = [left - part for left, part in zip(remaining, split, strict=True)]
        result.append(split)
    return result


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _from_cents(cents: Sequence[int]) -> list[Decimal]:
    return [Decimal(value).scaleb(-2) for value in cents]


def _integer_weights(weights: Sequence[Decimal]) -> list[int]:
    """Scale Decimal weights to integers with the same ratios (0.3, 0.7 → 3, 7), so the split is exact."""
    exponent = min(weight.as_tuple().exponent for weight in weights)
    return [int(weight.scaleb(-exponent)) for weight in weights] if exponent < 0 else [int(w) for w in weights]


def _largest_remainder(cents: int, weights: Sequence[int]) -> list[int]:
    """Split ``cents`` in proportion to ``weights``: floors, then one fen each to the largest remainders,
    ties to the earlier weight. Σ result == cents; each part within one fen of its exact value."""
    total = sum(weights)
    if total <= 0:
        raise InvalidShares(_("%(field)s must not all be zero") % {"field": "shares"}, field="shares")
    quotients = [divmod(cents * weight, total) for weight in weights]
    parts = [quotient for quotient, _remainder in quotients]
    leftover = cents - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda index: (-quotients[index][1], index))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    return parts
