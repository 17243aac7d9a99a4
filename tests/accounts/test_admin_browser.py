"""Adding an API token in the admin, in Chromium under the enforced CSP."""

import os

import pytest

from apps.accounts.selectors import api_token_for_key
from tests.factories import BatchFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; the test still queries the DB.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_add_a_scoped_token_and_see_its_key_once(browser_page):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    batch = BatchFactory(name="Spring batch")
    page = browser_page
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto("/admin/login/?next=/admin/accounts/apitoken/add/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-for-tests")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/accounts/apitoken/add/")
    page.select_option("#id_user", label="boss")
    page.fill("#id_name", "laptop")
    page.uncheck("#id_read_only")
    # The admin's two-box batch picker (its script ran under the CSP).
    page.select_option("#id_batches_from", label=batch.name)
    page.click("#id_batches_add")
    page.click("input[name=_save]")
    key = page.text_content("#api-token-key")
    token = api_token_for_key(key=key)
    assert token.name == "laptop" and not token.read_only
    assert list(token.batches.values_list("name", flat=True)) == ["Spring batch"]
    assert "Copy it now" in page.text_content("#content-main")
    assert csp_errors == []
