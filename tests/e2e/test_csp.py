"""The admin and the API docs run under the enforced CSP without violations."""

import os

import pytest

from tests.factories import UserFactory

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return errors


def test_it_runs_admin_login_and_a_changelist_without_csp_violations(browser_page):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    page = browser_page
    errors = _csp_errors(page)
    page.goto("/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-for-tests")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto("/admin/auth/user/")
    page.wait_for_selector("#result_list")
    # The admin's own scripts ran: actions.js counts the rows.
    page.click("#result_list tbody input.action-select")
    page.wait_for_selector(".action-counter:has-text('1 of')")
    assert errors == []


def test_it_renders_the_api_docs_without_csp_violations(browser_page):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    page = browser_page
    errors = _csp_errors(page)
    page.goto("/admin/login/?next=/api/docs/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-for-tests")
    page.click("input[type=submit]")
    page.wait_for_url("**/api/docs/")
    page.wait_for_selector(".opblock-summary-path")
    assert errors == []


def test_it_renders_the_browsable_api_without_csp_violations(browser_page):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    page = browser_page
    errors = _csp_errors(page)
    page.goto("/admin/login/?next=/api/exports/jobs/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-for-tests")
    page.click("input[type=submit]")
    page.wait_for_url("**/api/exports/jobs/")
    # Its own scripts ran: bootstrap shows a button's tooltip.
    page.hover(".js-tooltip")
    page.wait_for_selector(".tooltip")
    assert errors == []
