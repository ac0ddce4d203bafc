"""An active demo scorecard for origination tests, trained once per test process.

The card is the demo card: German credit columns without the protected ones. Training takes seconds, so
the training result is computed once and every test registers and activates it through the registry's
own service (the rows, the routing and the compiled-card cache are all real).
"""

from pathlib import Path
from unittest import mock

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = (
    ROOT / "risk_models" / "data" / "german_credit.csv",
    ROOT.parent / "shared" / "data" / "german_credit.csv",
)

_trained: dict = {}


def demo_frame() -> pd.DataFrame:
    path = next(p for p in CANDIDATES if p.exists())
    return pd.read_csv(path)


def activate_demo_scorecard():
    from risk_models.scorecard import artefact
    from risk_models.services import registry
    from risk_models.services.demo import demo_training_parameters

    parameters = demo_training_parameters()
    frame = demo_frame()
    if "result" not in _trained:
        _trained["result"] = registry.train(frame, parameters=parameters)
    real_dumps = artefact.dumps

    def dumps_once(**kwargs):
        if "artefact" not in _trained:
            _trained["artefact"] = real_dumps(**kwargs)
        return _trained["artefact"]

    # Training, the artefact and the HTML report (its charts take seconds) are the same every time; the
    # registration, activation and routing that origination depends on run for real in every test.
    with (
        mock.patch.object(registry, "train", return_value=_trained["result"]),
        mock.patch.object(registry, "render_report", return_value="<html><body>demo card</body></html>"),
        mock.patch.object(artefact, "dumps", dumps_once),
    ):
        return registry.scorecard_train(
            frame=frame, parameters=parameters, source_name="german_credit.csv", activate=True
        )
