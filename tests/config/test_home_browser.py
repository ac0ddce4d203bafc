import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_renders_in_chinese_by_default(page, live_server):
    page.goto(live_server.url + "/")

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("#headline").inner_text() == "清楚明白地借款"


def test_language_switch_changes_the_page_to_english_and_back(page, live_server):
    page.goto(live_server.url + "/")

    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#headline").inner_text() == "Borrow with clear terms"

    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("#headline").inner_text() == "清楚明白地借款"
