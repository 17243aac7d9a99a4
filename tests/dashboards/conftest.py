"""Fixtures for dashboard tests; the browser fixtures come from the end-to-end suite."""

import pytest

from tests.e2e.conftest import browser_page, chromium_browser  # noqa: F401  (browser test)
from tests.factories import UserFactory


@pytest.fixture
def staff(db):
    return UserFactory(username="boss", is_staff=True)
