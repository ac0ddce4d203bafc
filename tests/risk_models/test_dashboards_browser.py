"""An analyst, in a real browser, reads the risk dashboards of a seeded book: every chart drawn with data points,
a filter redrawing a chart in place (htmx), a table downloaded as CSV; a borrower is refused.

The book is the synthetic one the indicator bench loads (bench/indicators.py), at a few hundred loans: 18
months of month-end snapshots, decisions and funding terms in a second, so the suite stays quick.
"""

import pytest
from django.conf import settings
from django.test import Client

from bench.indicators import AS_OF, portfolio_generate
from risk_models import services
from risk_models.dashboards.panels import PANELS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAWN = """key => {
    const chart = window.dashboardCharts && window.dashboardCharts['chart-' + key];
    return Boolean(chart) && chart.data.datasets.some(d => d.data.some(v => v !== null && !Number.isNaN(v)));
}"""
SERIES = "key => window.dashboardCharts['chart-' + key].data.datasets.map(d => d.label)"


@pytest.fixture
def seeded_book(transactional_db):
    portfolio_generate(loans=400, months=18)
    return services.indicators_compute(as_of=AS_OF)


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_an_analyst_reads_every_chart_filters_one_and_downloads_a_table(page, live_server, analyst, seeded_book):
    sign_in(page, live_server, analyst)
    page.goto(live_server.url + "/dashboards/?date_from=2023-07-01")

    for key in PANELS:
        page.wait_for_function(DRAWN, arg=key)
    assert page.locator("section.panel").count() == len(PANELS)
    assert page.locator("section.panel .definition").count() == len(PANELS)
    before = page.evaluate(SERIES, "approval")
    page.evaluate("window.stillTheSamePage = true")

    page.select_option("#id_channel", "WEB")

    page.wait_for_function("key => window.dashboardCharts['chart-' + key].data.datasets.length === 2", arg="approval")
    assert before[1:] == ["API", "WEB"]
    assert page.evaluate(SERIES, "approval")[1:] == ["WEB"]
    assert page.evaluate("window.stillTheSamePage") is True  # redrawn in place, not reloaded
    assert "channel=WEB" in page.url

    page.click("#panel-vintage summary")
    with page.expect_download() as download_info:
        page.click("#csv-vintage")
    download = download_info.value
    assert download.suggested_filename == f"vintage-{AS_OF.isoformat()}.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        text = handle.read()
    assert text.splitlines()[0].split(",")[:3] == ["放款月份", "笔数", "MOB0"]  # the page's language: zh-CN
    assert len(text.splitlines()) > 10


def test_a_borrower_is_refused(page, live_server, django_user_model, seeded_book):
    borrower = django_user_model.objects.create_user("borrower", password="borrower-pass-1")
    sign_in(page, live_server, borrower)

    response = page.goto(live_server.url + "/dashboards/")

    assert response.status == 403
    assert page.locator("canvas").count() == 0
