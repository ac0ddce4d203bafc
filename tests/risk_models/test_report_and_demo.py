"""The HTML report renders its charts with CJK labels; the demo card is trained once and leaves out
protected characteristics."""

import pytest
from django.utils import translation
from matplotlib import font_manager

from risk_models import selectors, services
from risk_models.scorecard.report import FONTS, ActiveComparison, render_report

from .conftest import PROTECTED


def test_a_cjk_font_is_available_to_matplotlib():
    path = font_manager.findfont(
        font_manager.FontProperties(family=FONTS["font.sans-serif"][:2]), fallback_to_default=False
    )

    assert "CJK" in path


def test_the_report_in_chinese_has_every_chart_and_table(german_result):
    with translation.override("zh-hans"):
        html = render_report(version="SC-000009", result=german_result, trained_by="analyst", trained_at="2024-01-31")

    assert 'lang="zh-hans"' in html
    assert "评分卡 SC-000009" in html  # the title, in Chinese
    for anchor in ('id="metrics-table"', 'id="iv-table"', 'id="psi"', 'id="reproducibility"'):
        assert anchor in html
    charts = 4 + len(german_result.card.names)  # ROC, KS, distributions, calibration + one per characteristic
    assert html.count("data:image/png;base64,") == charts
    assert german_result.reproducibility["training_sha256"] in html


def test_the_report_compares_with_the_active_card(german_result):
    scores = german_result.evaluation.test_scores
    comparison = ActiveComparison.from_scores(version="SC-000001", active_scores=scores + 7, candidate_scores=scores)

    html = render_report(version="SC-000002", result=german_result, active=comparison)

    assert "SC-000001" in html
    assert f"{comparison.psi:.4f}" in html
    assert html.count("data:image/png;base64,") == 5 + len(german_result.card.names)


@pytest.mark.django_db
def test_the_demo_card_is_trained_once_activated_and_scores_no_protected_characteristic(quick_report):
    first = services.scorecard_demo_ensure()
    second = services.scorecard_demo_ensure()

    assert first == second
    assert first.status == "ACTIVE"
    assert first.product_code == ""
    names = {spec.name for spec in selectors.active_scorecard_characteristics()}
    assert names
    assert not names & set(PROTECTED)
    assert first.source_name == "german_credit.csv"
    assert set(first.parameters["exclude"]) == set(PROTECTED)
