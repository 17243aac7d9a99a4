"""A real `transformers serve` process on the bundled model, started once per test session."""

from pathlib import Path

import pytest
from django.conf import settings

from model_worker.backends.transformers_serve import TransformersServe, served_model_folder

# Made once per machine (about a minute on 2 cores), then reused by every session.
SERVED_MODEL_CACHE = Path(settings.BASE_DIR) / ".data" / "served-models"


def served_folder() -> Path:
    return served_model_folder(
        gguf_source=settings.DEFAULT_MODEL_SOURCE, cache_dir=SERVED_MODEL_CACHE
    )


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory):
    """One `transformers serve` for the whole session, warmed up; stopped at the end."""
    pytest.importorskip("fastapi", reason="needs the serving extra: pip install '.[serving]'")
    log = tmp_path_factory.mktemp("serve") / "transformers-serve.log"
    server = TransformersServe(model_folder=served_folder(), log_path=log).start()
    server.warm_up()
    yield server
    server.stop()


@pytest.fixture
def own_openai_server(tmp_path):
    """A server of this test's own, for tests that stop it."""
    pytest.importorskip("fastapi", reason="needs the serving extra: pip install '.[serving]'")
    server = TransformersServe(model_folder=served_folder(), log_path=tmp_path / "serve.log")
    server.start()
    server.warm_up()
    yield server
    server.stop(kill=True)
