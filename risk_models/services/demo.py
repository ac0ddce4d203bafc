"""The demo card: German credit data shipped in the repository, protected characteristics left out."""

from pathlib import Path

from .. import selectors
from ..exceptions import NoActiveScorecard
from ..models import ScorecardVersion
from ..scorecard.training import TrainingParameters
from .registry import scorecard_train
from .scoring import read_csv

DEMO_DATA = Path(__file__).resolve().parents[1] / "data" / "german_credit.csv"
# Sex and marital status, and foreign-worker status, are protected: a card must not score them.
PROTECTED_CHARACTERISTICS = ("personal_status_and_sex", "foreign_worker")
DEMO_SEED = 42


def demo_training_parameters() -> TrainingParameters:
    return TrainingParameters(target="bad", exclude=PROTECTED_CHARACTERISTICS, seed=DEMO_SEED)


def scorecard_demo_ensure(*, actor=None) -> ScorecardVersion:
    """The platform's default card: the active one if there is one, else train and activate the demo card."""
    try:
        return selectors.active_scorecard()
    except NoActiveScorecard:
        pass
    return scorecard_train(
        frame=read_csv(str(DEMO_DATA)),
        parameters=demo_training_parameters(),
        source_name=DEMO_DATA.name,
        trained_by=actor,
        activate=True,
    )
