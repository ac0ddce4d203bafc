"""The active scorecard's characteristics as questions a borrower answers.

The card is trained by analysts and changes without a migration: its characteristics come from
`risk_models`' selector. Three of them the application itself answers (amount, term, age from the ID
number); the rest are asked on the sign-up form with the card's own categories as choices.
"""

import re
import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from risk_models import selectors as risk_selectors
from risk_models.exceptions import NoActiveScorecard

from .characteristic_labels import category_label, characteristic_label

NUMERIC = "numeric"
CATEGORICAL = "categorical"
# Names the demo card (German credit columns) gives to what the application already says.
DERIVED_FROM_APPLICATION = {"duration_in_month": "term", "credit_amount": "amount", "age_in_years": "age"}
_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
NUMBER_RANGE = (Decimal("0"), Decimal("1000000000"))


@dataclass(frozen=True)
class Question:
    name: str
    label: str
    kind: str
    choices: tuple[tuple[str, str], ...] = ()


def _field(item: Any, name: str, default: Any = None) -> Any:
    return item.get(name, default) if isinstance(item, dict) else getattr(item, name, default)


_specs_by_version: dict[int, tuple[Any, ...]] = {}
_specs_lock = threading.Lock()


def active_characteristics(*, scorecard_id: int | None = None) -> tuple[Any, ...]:
    """The active card's characteristics. A registered card never changes, so its list is kept per version
    in this process; which version is active is read every time (one indexed query, or `scorecard_id` when
    the caller read it with its own facts), so an activation takes effect at once everywhere."""
    version_id = scorecard_id if scorecard_id is not None else risk_selectors.active_scorecard().pk
    specs = _specs_by_version.get(version_id)
    if specs is None:
        with _specs_lock:
            specs = _specs_by_version.get(version_id)
            if specs is None:
                specs = tuple(risk_selectors.active_scorecard_characteristics())
                _specs_by_version[version_id] = specs
    return specs


def borrower_questions(*, scorecard_id: int | None = None) -> list[Question]:
    """What the sign-up form asks: every characteristic of the active card the application cannot answer.

    With no card active yet (a new installation) it asks nothing more, so that borrowers can still sign up;
    applications are refused with NO_ACTIVE_SCORECARD until an analyst activates one."""
    questions = []
    try:
        characteristics = active_characteristics(scorecard_id=scorecard_id)
    except NoActiveScorecard:
        return questions
    for item in characteristics:
        name = _field(item, "name")
        if name in DERIVED_FROM_APPLICATION:
            continue
        kind = _field(item, "kind")
        categories = tuple(_field(item, "categories") or ())
        choices = tuple((value, category_label(value)) for value in categories) if kind == CATEGORICAL else ()
        questions.append(Question(name=name, label=characteristic_label(name), kind=kind, choices=choices))
    return questions


def scoring_inputs(
    *, answers: dict[str, Any], amount: Decimal, term: int, age: int, scorecard_id: int | None = None
) -> dict[str, Any]:
    """Exactly what the active card scores: the borrower's answers it uses, plus what the application says.

    A profile may hold answers to an older card's questions; only the active card's are passed on.
    """
    names = {_field(item, "name") for item in active_characteristics(scorecard_id=scorecard_id)}
    known = {"term": term, "amount": str(amount), "age": age}
    inputs = {name: value for name, value in answers.items() if name in names and name not in DERIVED_FROM_APPLICATION}
    inputs.update({name: known[source] for name, source in DERIVED_FROM_APPLICATION.items() if name in names})
    return inputs


def characteristic_errors(
    values: dict[str, Any], *, require_all: bool = False, scorecard_id: int | None = None
) -> dict[str, list[str]]:
    """Field errors for scorecard answers, keyed `characteristics.<name>` as the forms and the API show them."""
    if not isinstance(values, dict):
        return {"characteristics": [_("Characteristics must be an object of name → value.")]}
    if not values and not require_all:
        return {}
    questions = {q.name: q for q in borrower_questions(scorecard_id=scorecard_id)}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        question = questions.get(name)
        key = f"characteristics.{name}" if _NAME.match(str(name)) else "characteristics"
        if question is None:
            errors[key] = [_("This is not a characteristic we ask about.")]
        elif question.kind == CATEGORICAL:
            if not isinstance(value, str) or value not in {v for v, _label in question.choices}:
                errors[key] = [_("Choose one of the options.")]
        elif not _is_number(value):
            errors[key] = [_("Enter a number.")]
    if require_all:
        for name in questions:
            if values.get(name) in (None, ""):
                errors[f"characteristics.{name}"] = [_("This answer is required.")]
    return errors


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        return False
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return False
    return number.is_finite() and NUMBER_RANGE[0] <= number <= NUMBER_RANGE[1]
