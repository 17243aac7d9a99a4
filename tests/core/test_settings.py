import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = secrets.token_urlsafe(50)
# Set for a site served over HTTPS behind a proxy that sets X-Forwarded-Proto.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "pairwise.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://pairwise.example.org",
    "SECURE_PROXY_SSL_HEADER": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


# Browser test modules set DJANGO_ALLOW_ASYNC_UNSAFE in this process; no deployment has it.
NOT_INHERITED = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")


def _manage(env_overrides, *args):
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_start_outside_debug_without_a_secret_key():
    result = _manage({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set: set it to a random string" in result.stderr


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "is not set"),
        ("a-real-secret-for-this-test-only-1234567890", "is too weak"),  # 43 characters
        ("abcd" * 20, "is too weak"),  # 4 distinct characters
        ("django-insecure-" + GOOD_KEY, "is too weak"),
    ],
)
def test_it_refuses_to_start_outside_debug_with_an_empty_or_weak_key(key, problem):
    result = _manage({"DEBUG": "0", "SECRET_KEY": key})
    assert result.returncode != 0
    assert f"SECRET_KEY {problem}" in result.stderr
    assert "at least 50 characters" in result.stderr


def test_it_starts_outside_debug_with_a_secret_key():
    result = _manage({"DEBUG": "0", "SECRET_KEY": GOOD_KEY})
    assert result.returncode == 0, result.stderr


def test_the_deploy_check_finds_nothing_in_a_production_environment():
    result = _manage(PRODUCTION, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
