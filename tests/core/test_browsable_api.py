"""The browsable API's pages hold nothing the enforced CSP blocks (the browser test in
tests/e2e/test_csp.py shows one page in Chromium; this checks each API page's HTML)."""

import re

import pytest

from apps.exports.models import ExportJob
from tests.factories import BatchFactory, UserFactory

pytestmark = pytest.mark.django_db

INLINE_STYLE = re.compile(r"<style|\sstyle=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>")
HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)


def test_no_api_page_has_inline_style_or_script(client):
    staff = UserFactory(username="boss", is_staff=True)
    batch = BatchFactory(created_by=staff)
    job = ExportJob.objects.create(created_by=staff, options={})
    client.force_login(staff)
    urls = [
        "/api/batches/",
        f"/api/batches/{batch.pk}/",
        "/api/batches/999999/",
        "/api/comparisons/",
        "/api/exports/card/",
        "/api/exports/jobs/",
        f"/api/exports/jobs/{job.pk}/",
        "/api/queue/leases/",
    ]
    for url in urls:
        response = client.get(url, HTTP_ACCEPT="text/html")
        html = response.content.decode()
        assert response["Content-Type"].startswith("text/html"), url
        assert not INLINE_STYLE.search(html), (url, INLINE_STYLE.search(html))
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html))
        assert not HANDLER.search(html), (url, HANDLER.search(html))
