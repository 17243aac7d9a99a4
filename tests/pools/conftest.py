import pytest

from tests.factories import UserFactory


@pytest.fixture
def staff(db):
    return UserFactory(username="boss", is_staff=True)


@pytest.fixture(autouse=True)
def _upload_dir(settings, tmp_path):
    """Uploads are stored in the test's own folder."""
    settings.POOL_UPLOAD_DIR = tmp_path / "pool_uploads"


@pytest.fixture
def generation_queue(redis_client):
    """The real broker's generation queue, emptied before the test."""
    from tests.worker_process import purge_queues

    purge_queues()
    yield lambda: redis_client.llen("generation")
    purge_queues()


# The browser fixtures of the end-to-end suite (Debian's Chromium through Playwright).
from tests.e2e.conftest import browser_page, chromium_browser  # noqa: E402, F401
