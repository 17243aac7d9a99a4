"""Response headers: an enforced CSP without inline code, framing denied, no sniffing."""

import re

from django.conf import settings


def test_it_sends_an_enforced_csp_without_unsafe_sources(client):
    response = client.get("/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "Content-Security-Policy-Report-Only" not in response.headers


def test_it_denies_framing_and_sniffing(client):
    response = client.get("/login/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_it_keeps_inline_code_out_of_our_templates():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=", re.I)
    roots = [settings.BASE_DIR / "templates", *settings.BASE_DIR.glob("apps/*/templates")]
    offenders = [
        str(path)
        for root in roots
        for path in root.rglob("*.html")
        if inline.search(path.read_text())
    ]
    assert offenders == []


def test_the_api_docs_load_their_init_script_from_a_url(admin_client):
    response = admin_client.get("/api/docs/")
    assert response.status_code == 200
    assert b"<script>" not in response.content
    assert b"<style>" not in response.content
    script = admin_client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.content
