"""Retrain on the platform's own book: the training frame from decision facts and matured performance."""

from dataclasses import replace
from datetime import date

from django.utils.translation import gettext as _

from ..exceptions import TrainingDataError
from ..indicators.definitions import BadDefinition
from ..indicators.portfolio import TARGET, training_frame
from ..models import ScorecardVersion
from ..scorecard.training import Progress, TrainingParameters
from .demo import PROTECTED_CHARACTERISTICS
from .registry import scorecard_train


def scorecard_train_from_portfolio(
    *,
    as_of: date,
    bad: BadDefinition,
    parameters: TrainingParameters,
    product_code: str = "",
    trained_by=None,
    activate: bool = False,
    progress: Progress | None = None,
) -> ScorecardVersion:
    """Train a candidate on every loan whose outcome has matured by ``as_of`` under ``bad``; the loans'
    applications give the characteristics (as scored then), their performance snapshots the target."""
    frame = training_frame(as_of=as_of, bad=bad, product_code=product_code)
    if frame.empty:
        raise TrainingDataError(
            _("No loan has a matured outcome by %(date)s under “%(bad)s”.") % {"date": as_of, "bad": bad.text},
            as_of=as_of.isoformat(),
        )
    protected = tuple(name for name in PROTECTED_CHARACTERISTICS if name in frame.columns)
    parameters = replace(parameters, target=TARGET, exclude=tuple(dict.fromkeys((*parameters.exclude, *protected))))
    return scorecard_train(
        frame=frame,
        parameters=parameters,
        product_code=product_code,
        source_name=f"portfolio as of {as_of.isoformat()}: {bad.text} ({len(frame)} loans)",
        trained_by=trained_by,
        activate=activate,
        progress=progress,
    )
