"""The embedded default, SQLite, behind the real multi-threaded server (`runserver`, as
`make run` starts it): requests at once each get a clean answer and store what they should.

CI runs the suite on PostgreSQL, so these tests make their own SQLite database and server.
"""

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings

from tests.make_run import free_port

READY_TIMEOUT_S = 60
ANSWER = {"chosen_side": "left", "strength": "better", "time_spent_ms": 1000}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _at_once(count: int, action) -> list:
    """`action(i)` for i in range(count), in threads released together."""
    barrier = threading.Barrier(count)

    def run(index: int):
        barrier.wait()
        return action(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A migrated SQLite site (see tests/core/sqlite_site.py), served by `runserver`."""
    tmp = tmp_path_factory.mktemp("sqlite-site")
    database = tmp / "pairwise.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "PAIRWISE_DATA_DIR": str(tmp / "data"),
        "REDIS_URL": settings.CELERY_BROKER_URL,  # no second embedded Redis
        "CACHE_KEY_PREFIX": f"sqlite-test-{uuid.uuid4().hex[:8]}",
        "DEBUG": "1",
    }
    seeded = subprocess.run(
        [sys.executable, "-m", "tests.core.sqlite_site"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    port = free_port()
    log_path = tmp / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not _listening(port):
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "runserver never came up"
                time.sleep(0.2)
            yield {
                **json.loads(seeded.stdout.splitlines()[-1]),
                "url": f"http://127.0.0.1:{port}",
                "database": database,
            }
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert "database is locked" not in log_path.read_text()


def _count(site, sql: str) -> int:
    with sqlite3.connect(site["database"]) as db:
        return db.execute(sql).fetchone()[0]


def _api(site, annotator: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {site['keys'][annotator]}"
    return session


def test_claims_at_once_answer_cleanly_and_keep_the_lease_limit(site):
    url = f"{site['url']}/api/queue/batches/{site['batch']}/claim/"
    statuses = _at_once(10, lambda _: _api(site, "claims").post(url).status_code)
    assert Counter(statuses) == {201: 3, 409: 7}
    opened = "SELECT count(*) FROM assignments_lease l JOIN auth_user u ON u.id = l.annotator_id"
    assert _count(site, f"{opened} WHERE u.username = 'claims' AND l.status = 'open'") == 3


def test_double_submits_over_the_api_store_each_judgment_once(site):
    claim = f"{site['url']}/api/queue/batches/{site['batch']}/claim/"
    lease_ids = [_api(site, "api").post(claim).json()["id"] for _ in range(3)]

    def submit(index: int):
        lease_id = lease_ids[index // 2]  # each lease submitted twice at once, same key
        response = _api(site, "api").post(
            f"{site['url']}/api/queue/leases/{lease_id}/submit/",
            json=ANSWER,
            headers={"Idempotency-Key": f"double-{lease_id}"},
        )
        return lease_id, response.status_code

    results = _at_once(6, submit)
    assert sorted(results) == sorted((i, code) for i in lease_ids for code in (200, 201))
    judged = (
        "SELECT count(*) FROM preferences_comparison c JOIN auth_user u ON u.id = c.annotator_id"
    )
    assert _count(site, f"{judged} WHERE u.username = 'api'") == 3


def _browser(site, username: str) -> requests.Session:
    session = requests.Session()
    login = f"{site['url']}/login/"
    credentials = {"username": username, "password": site["password"]}
    token = CSRF.search(session.get(login).text)[1]
    response = session.post(
        login,
        data={**credentials, "csrfmiddlewaretoken": token},
        headers={"Referer": login},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text
    return session


def _post_form(session, url: str, page_html: str, data: dict) -> requests.Response:
    form = {"csrfmiddlewaretoken": CSRF.search(page_html)[1], **data}
    return session.post(url, data=form, headers={"Referer": url}, allow_redirects=False)


def test_a_double_click_on_submit_stores_one_judgment(site):
    browser = _browser(site, "page")
    batch_page = f"{site['url']}/batches/{site['batch']}/"
    pressed = _post_form(
        browser, f"{site['url']}/batches/{site['batch']}/next/", browser.get(batch_page).text, {}
    )
    assert pressed.status_code == 302 and "/leases/" in pressed.headers["Location"]
    lease_page = site["url"] + pressed.headers["Location"]
    html = browser.get(lease_page).text
    key = re.search(r'name="idempotency_key"[^>]*value="([0-9a-f]+)"', html)[1]
    second_tab = requests.Session()
    second_tab.cookies.update(browser.cookies)
    tabs = (browser, second_tab)

    def click(index: int) -> int:
        data = {"idempotency_key": key, **ANSWER}
        return _post_form(tabs[index], lease_page, html, data).status_code

    assert _at_once(2, click) == [302, 302]
    judged = (
        "SELECT count(*) FROM preferences_comparison c JOIN auth_user u ON u.id = c.annotator_id"
    )
    assert _count(site, f"{judged} WHERE u.username = 'page'") == 1
