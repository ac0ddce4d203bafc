import os
from datetime import date

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make around it are
# ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def business_date(db):
    """The servicing calendar as data: a fixed business date, never the wall clock."""
    from repayment.models import BusinessDate

    value = date(2024, 1, 31)
    BusinessDate.objects.update_or_create(pk=1, defaults={"business_date": value})
    return value


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real Celery worker process on the test Redis, reading the test database."""
    from tests.support.processes import celery_worker

    with celery_worker() as process:
        yield process
