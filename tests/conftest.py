import pytest
from django.conf import settings

from tests.factories import BatchFactory, UserFactory
from tests.worker_process import postgres_or_skip


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    return f"database: {db['ENGINE']} {db.get('NAME')}; broker: {settings.CELERY_BROKER_URL}"


@pytest.fixture
def annotator(db):
    return UserFactory(username="ann")


@pytest.fixture
def other_annotator(db):
    return UserFactory(username="other")


@pytest.fixture
def batch(db):
    return BatchFactory()


@pytest.fixture
def safety_batch(db):
    return BatchFactory(track="safety", name="Safety batch")


@pytest.fixture(scope="session")
def default_backend():
    """The real default model, loaded once for the whole test session."""
    from apps.catalog.models import ModelVariant
    from model_worker.backends import backend_for

    variant = ModelVariant(
        name="test-load",
        source_kind="gguf_file",
        source=settings.DEFAULT_MODEL_SOURCE,
    )
    return backend_for(variant)


@pytest.fixture(scope="session")
def redis_client():
    import redis

    # The cache's URL: redis-py spells the embedded Redis's socket unix://, not redis+socket://.
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    client.ping()
    return client


@pytest.fixture(autouse=True)
def _no_stale_env(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield


@pytest.fixture(autouse=True)
def _fresh_cache(redis_client):
    """Forget rate-limit counters between tests without flushing the broker's database."""
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(redis_client.scan_iter(f"{prefix}:*", count=1000))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture(autouse=True)
def _postgres_only(request):
    """Tests marked `postgres` (COPY, the benchmarks' server) or `worker` (a worker process
    shares the test database) skip on SQLite, saying why."""
    marker = request.node.get_closest_marker("postgres")
    if marker is not None:
        postgres_or_skip(marker.args[0] if marker.args else "PostgreSQL features")
    if request.node.get_closest_marker("worker") is not None:
        postgres_or_skip("a worker process shares the test database")
