"""Fixtures for the scorecard tests: the shipped German credit data, small synthetic frames, analysts,
and registered cards. Training on 1,000 rows takes a fraction of a second; the HTML report (two dozen
matplotlib charts) takes seconds, so registry tests that do not look at it swap in a one-line report."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DEMO_DATA = Path(__file__).resolve().parents[2] / "risk_models" / "data" / "german_credit.csv"
PROTECTED = ("personal_status_and_sex", "foreign_worker")


@pytest.fixture(scope="session")
def german() -> pd.DataFrame:
    return pd.read_csv(DEMO_DATA)


@pytest.fixture(scope="session")
def german_result(german):
    """The demo card's training result (pure), computed once."""
    from risk_models.scorecard.training import TrainingParameters, train

    return train(german, parameters=TrainingParameters(exclude=PROTECTED, seed=42))


def synthetic_frame(rows: int = 4000, *, seed: int = 3) -> pd.DataFrame:
    """Two informative numeric characteristics, one categorical, one with missing values, one noise."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(9, 0.5, rows).round()
    utilisation = rng.uniform(0, 1.2, rows).round(3)
    region = rng.choice(["north", "south", "east", "west", "centre"], rows, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    tenure = rng.integers(0, 120, rows).astype(float)
    tenure[rng.random(rows) < 0.12] = np.nan
    noise = rng.normal(0, 1, rows)
    region_effect = pd.Series(region).map({"north": -0.4, "south": 0.0, "east": 0.3, "west": 0.6, "centre": 0.9})
    tenure_effect = np.where(np.isnan(tenure), 0.8, -0.01 * np.nan_to_num(tenure))
    logit = -1.2 - 0.9 * (np.log(income) - 9) + 2.0 * (utilisation - 0.6) + region_effect.to_numpy() + tenure_effect
    bad = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {"income": income, "utilisation": utilisation, "region": region, "tenure": tenure, "noise": noise, "bad": bad}
    )


@pytest.fixture
def synthetic() -> pd.DataFrame:
    return synthetic_frame()


@pytest.fixture
def quick_report(monkeypatch):
    """Registry tests that do not read the report skip its charts."""
    monkeypatch.setattr(
        "risk_models.services.registry.render_report", lambda **kwargs: f"<html>{kwargs['version']}</html>"
    )


@pytest.fixture
def analyst(db, django_user_model):
    from risk_models.services import risk_analyst_group_ensure

    user = django_user_model.objects.create_user("analyst", password="analyst-pass-1", is_staff=True)
    user.groups.add(risk_analyst_group_ensure())
    return user


@pytest.fixture
def viewer(db, django_user_model):
    """Staff who may read the analytics pages but not change the card in use."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="viewer-pass-1", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_analytics"))
    return user


def register_card(frame: pd.DataFrame, *, seed: int = 42, activate: bool = False, product_code: str = "", actor=None):
    from risk_models import services
    from risk_models.scorecard.training import TrainingParameters

    return services.scorecard_train(
        frame=frame,
        parameters=TrainingParameters(exclude=PROTECTED if "foreign_worker" in frame else (), seed=seed),
        product_code=product_code,
        source_name="test.csv",
        trained_by=actor,
        activate=activate,
    )


@pytest.fixture
def active_card(db, german, quick_report):
    return register_card(german, activate=True)


def applicant(frame: pd.DataFrame, row: int, names) -> dict:
    """One row's characteristics as underwriting would pass them (numbers as numbers, categories as text)."""
    values = frame.iloc[row]
    return {
        name: (
            None if pd.isna(values[name]) else values[name].item() if hasattr(values[name], "item") else values[name]
        )
        for name in names
    }


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Artefacts and reports of each test go to its own folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English; the report test switches to Chinese itself."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fresh_routing():
    """Each test starts from the database's routing, not one cached by an earlier (rolled back) test."""
    from risk_models.services.scoring import routing_invalidate

    routing_invalidate()
    yield
    routing_invalidate()


def person_for(frame: pd.DataFrame, version, row: int = 0) -> dict:
    """The row's answers to exactly the characteristics that `version` scores."""
    from risk_models import selectors

    return applicant(frame, row, selectors.scorecard_card(version=version).names)


def run_concurrently(target, argument_sets) -> list[Exception]:
    """Start one thread per argument set at the same instant (a barrier); return what they raised."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(argument_sets))
    errors: list[Exception] = []

    def run(arguments):
        try:
            barrier.wait(timeout=10)
            target(*arguments)
        except Exception as exc:  # collected: the test asserts on the list
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(arguments,)) for arguments in argument_sets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors
