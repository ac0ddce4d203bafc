"""/dashboards/: who may see it, what each panel shows of the hand-built portfolio, filters and CSV export."""

import csv
import io
import json
import re

import pytest
from django.contrib.auth.models import Permission

from risk_models import services
from risk_models.dashboards import panels
from risk_models.dashboards.selectors import Slice

from .portfolio import AS_OF, portfolio_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed():
    portfolio_build()
    return services.indicators_compute(as_of=AS_OF)


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def chart(response, key: str) -> dict:
    """The chart data a panel hands to Chart.js (its json_script element)."""
    match = re.search(rf'<script id="chart-data-{key}" type="application/json">(.*?)</script>', response.text, re.S)
    assert match, f"no chart data for {key}"
    return json.loads(match.group(1))


def whole_book() -> Slice:
    return Slice(as_of=AS_OF, date_from=AS_OF.replace(month=1, day=1), date_to=AS_OF)


def test_a_borrower_is_refused(client, django_user_model, computed):
    borrower = django_user_model.objects.create_user("borrower", password="borrower-pass-1")
    client.force_login(borrower)

    assert client.get("/dashboards/").status_code == 403
    assert client.get("/dashboards/panels/").status_code == 403
    assert client.get("/dashboards/export/vintage.csv").status_code == 403


def test_staff_without_the_analytics_permission_is_refused(client, django_user_model, computed):
    clerk = django_user_model.objects.create_user("clerk", password="clerk-pass-1", is_staff=True)
    client.force_login(clerk)

    assert client.get("/dashboards/").status_code == 403


def test_someone_signed_out_is_sent_to_log_in(client):
    response = client.get("/dashboards/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_analytics_permission_alone_opens_the_page(client, django_user_model, computed):
    viewer = django_user_model.objects.create_user("viewer", password="viewer-pass-1", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_analytics"))
    client.force_login(viewer)

    assert client.get("/dashboards/").status_code == 200


def test_every_panel_has_a_chart_a_definition_a_table_and_a_csv_link(analyst_client, computed):
    response = analyst_client.get("/dashboards/", {"date_from": "2024-01-01"})

    assert response.status_code == 200
    for key in panels.PANELS:
        if key == "ks_auc":
            continue  # nothing has matured by 04-30 under "within 6 months" but one bad loan
        data = chart(response, key)
        assert any(v is not None for d in data["datasets"] for v in d["data"]), key
        assert f'id="table-{key}"' in response.text
        assert f'href="/dashboards/export/{key}.csv' in response.text
    assert "DPD = days since the due date of the oldest unpaid installment" in response.text


def test_the_page_says_when_nothing_has_been_computed(analyst_client):
    response = analyst_client.get("/dashboards/")

    assert response.status_code == 200
    assert 'id="no-indicators"' in response.text


def test_vintage_table_shows_january_at_mob2(computed):
    panel = panels.vintage_panel(whole_book(), panels.Options(basis="count"))

    january = next(row for row in panel.table.rows if row[0] == "2024-01")
    assert january[1] == 2  # loans
    assert january[2:] == [0, 0, 50, 50]  # MOB0..MOB3, % of loans ever 30+


def test_flow_panel_rates_by_balance(computed):
    panel = panels.flow_panel(whole_book(), panels.Options())

    april = next(row for row in panel.table.rows if row[0] == "2024-04-30")
    # C→M1: 20,000 ÷ 29,869 = 66.96%; M2→M3: 100%
    assert str(april[1]) == "66.96"
    assert str(april[3]) == "100.00"


def test_psi_panel_computes_from_band_counts(computed):
    panel = panels.psi_panel(whole_book(), panels.Options())

    january = next(row for row in panel.table.rows if row[0] == "2024-01")
    assert january[1:3] == ["SC-T", 4]
    assert float(january[3]) == pytest.approx(0.0203, abs=1e-4)
    assert january[4] == "stable"


def test_a_channel_filter_changes_the_approval_chart(analyst_client, computed):
    everything = chart(analyst_client.get("/dashboards/panels/", {"date_from": "2024-01-01"}), "approval")
    web = chart(analyst_client.get("/dashboards/panels/", {"date_from": "2024-01-01", "channel": "WEB"}), "approval")

    assert [d["label"] for d in everything["datasets"]] == ["All", "API", "WEB"]
    assert [d["label"] for d in web["datasets"]] == ["All", "WEB"]
    assert everything["datasets"][0]["data"] != web["datasets"][0]["data"]


def test_a_partner_filter_keeps_the_products_it_funds(analyst_client, computed):
    response = analyst_client.get("/dashboards/panels/", {"date_from": "2024-01-01", "partner": "CMB"})

    disbursed = chart(response, "disbursed")
    assert disbursed["datasets"][0]["data"] == ["10000.00", "20000.00"]  # P2's loans, February and March


def test_csv_export_holds_the_panel_table(analyst_client, computed):
    response = analyst_client.get("/dashboards/export/dpd_buckets.csv", {"date_from": "2024-04-01"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="dpd_buckets-2024-04-30.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Date", "Bucket", "Loans", "Share of loans", "Outstanding principal", "Share of balance"]
    assert ["2024-04-30", "M1", "1", "25.00", "20000.00", "64.72"] in rows


def test_an_unknown_panel_is_not_found(analyst_client, computed):
    assert analyst_client.get("/dashboards/export/nonsense.csv").status_code == 404


def test_the_page_speaks_chinese(analyst_client, computed):
    response = analyst_client.get("/dashboards/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    assert "风险" in response.text
