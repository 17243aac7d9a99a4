# The browser fixtures of the end-to-end suite (Debian's Chromium through Playwright).
from tests.e2e.conftest import browser_page, chromium_browser  # noqa: F401
