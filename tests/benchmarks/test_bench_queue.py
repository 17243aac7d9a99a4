"""`bench_queue` for real: gunicorn on the test database, annotators over HTTP, small numbers.

The server is another process, so it sees only committed rows: these tests are transactional.
"""

import json
import signal
import socket
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from apps.assignments.models import Lease
from apps.batches.models import Batch
from apps.pairs.models import JudgmentSlot, Pair
from apps.preferences.models import Comparison
from benchmarks.queue_server import free_port
from tests.worker_process import shared_test_db_name, worker_env

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres("the benchmark serves the test database with gunicorn"),
]

KEYS = {
    "annotators",
    "pairs",
    "overlap",
    "duplicates",
    "lost",
    "requests_per_s",
    "claim_p50_ms",
    "claim_p95_ms",
    "submit_p50_ms",
    "submit_p95_ms",
    "errors",
    "wall_s",
    "gunicorn",
}


def _bench(*args: str) -> dict:
    out = StringIO()
    call_command(
        "bench_queue", "--json", "--workers", "1", "--threads", "4", "--health-seconds", "0.5",
        *args, stdout=out,
    )  # fmt: skip
    return json.loads(out.getvalue())


def _nothing_left_behind() -> None:
    assert not Batch.objects.filter(name__startswith="bench-queue-").exists()
    assert not get_user_model().objects.filter(username__startswith="bench-queue-").exists()
    assert not Pair.objects.exists()
    assert not JudgmentSlot.objects.exists()
    assert not Lease.objects.exists()
    assert not Comparison.objects.exists()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_it_judges_every_pair_once_over_http_and_cleans_up():
    port = free_port()
    result = _bench(
        "--annotators", "4", "--pairs", "20", "--think-ms", "0-5",
        "--replay-fraction", "0.5", "--port", str(port),
    )  # fmt: skip

    assert KEYS <= result.keys()
    assert (result["annotators"], result["pairs"], result["overlap"]) == (4, 20, 1)
    assert result["duplicates"] == 0
    assert result["lost"] == 0
    assert result["judgments_stored"] == 20
    assert result["submits"] == 20
    # Every annotator claims until the pool answers 204: one empty claim each.
    assert result["claims"] == 24
    assert result["errors"] == 0, result["errors_by_kind"]
    assert result["replays"] > 0 and result["replay_mismatches"] == 0
    assert 0 < result["claim_p50_ms"] <= result["claim_p95_ms"]
    assert result["requests_per_s"] > 0
    # The server's own time for a claim (access log) is part of what the client measured; the
    # log's clock stops after the response is written, so it may run a few ms past the client.
    assert 0 < result["server_claim_p95_ms"] <= result["claim_p95_ms"] + 5
    assert result["claim_profile_full_pool"]["claim_status"] == 201
    assert result["claim_profile_empty_pool"]["claim_status"] == 204
    # The same server's ceiling: /health/ with no pause, after the queue run.
    assert result["health_requests"] > 0 and result["health_errors"] == 0
    assert result["health_requests_per_s"] > 0
    assert 0 < result["queue_share_of_ceiling"]
    assert not _listening(port), "the bench left its server running"
    _nothing_left_behind()


def test_with_overlap_two_each_pair_gets_two_judgments_from_two_people():
    result = _bench("--annotators", "4", "--pairs", "10", "--overlap", "2", "--think-ms", "0-5")

    assert result["duplicates"] == 0
    assert result["lost"] == 0
    assert result["judgments_stored"] == 20
    assert result["duplicates_detail"]["same_annotator_twice"] == 0
    _nothing_left_behind()


def test_when_the_server_cannot_start_it_says_so_and_deletes_its_rows():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match="gunicorn"):
            _bench("--annotators", "2", "--pairs", "3", "--port", str(port))
    _nothing_left_behind()


def test_it_refuses_an_overlap_larger_than_the_annotators():
    with pytest.raises(CommandError, match="--overlap"):
        _bench("--annotators", "2", "--pairs", "3", "--overlap", "3")


def test_on_sigterm_mid_run_it_stops_the_server_and_deletes_its_rows(django_db_blocker):
    """Run as a separate process on the test database, terminated while annotators work."""
    port = free_port()
    env = worker_env(test_db_name=shared_test_db_name(django_db_blocker))
    process = subprocess.Popen(
        [sys.executable, "manage.py", "bench_queue", "--json", "--workers", "1",
         "--threads", "2", "--annotators", "2", "--pairs", "2000", "--think-ms", "200-400",
         "--port", str(port)],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not _listening(port):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the bench server never came up"
            time.sleep(0.2)
        time.sleep(1)  # annotators at work
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode != 0
    assert b"stopped by SIGTERM" in stderr
    assert not _listening(port), "the bench left its server running"
    _nothing_left_behind()
