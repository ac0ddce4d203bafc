"""An analyst, in a real browser, uploads a CSV, watches a real Celery worker train it, opens the report
and activates the card."""

import os

import pytest
from django.conf import settings
from django.test import Client

from risk_models.models import ScorecardVersion

from .conftest import DEMO_DATA

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def training_worker(transactional_db, media_root):
    """A real worker on the test Redis that writes artefacts where the live server reads them."""
    from tests.support.processes import celery_worker

    extra_env = {
        "MEDIA_ROOT": str(media_root),
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test"),
    }
    with celery_worker(queues="celery", concurrency=1, extra_env=extra_env, hostname="scorecard-worker") as process:
        yield process


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_an_analyst_trains_a_card_from_an_upload_opens_its_report_and_activates_it(
    page, live_server, analyst, training_worker
):
    sign_in(page, live_server, analyst)
    page.goto(live_server.url + "/analytics/scorecards/train/")

    page.set_input_files("#id_data", str(DEMO_DATA))
    page.fill("#id_exclude", "personal_status_and_sex, foreign_worker")
    page.click("#start-training")

    # the job page: its progress block is swapped in place by htmx until the worker has finished
    page.wait_for_selector("#training-progress")
    page.evaluate("window.stillTheSamePage = true")
    first_status = page.get_attribute("#training-progress", "data-status")
    page.wait_for_selector('#training-progress[data-status="SUCCEEDED"]', timeout=180_000)
    assert first_status in {"QUEUED", "RUNNING"}
    assert page.evaluate("window.stillTheSamePage") is True  # updated live, never reloaded
    assert page.get_attribute(".progress", "aria-valuenow") == "100"
    version = ScorecardVersion.objects.get()
    assert version.version in page.inner_text("#training-stage")

    with page.context.expect_page() as report_tab:
        page.click("#job-report")
    report = report_tab.value
    report.wait_for_load_state()
    assert version.version in report.title()
    assert report.locator("img").count() >= 10
    assert report.locator("#iv-table").is_visible()
    report.close()

    page.click("#job-version")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#activate")
    page.wait_for_selector(".status-ACTIVE")

    version.refresh_from_db()
    assert version.status == "ACTIVE"
    assert version.activated_by == analyst
    assert version.events.filter(action="ACTIVATED", actor=analyst).exists()
