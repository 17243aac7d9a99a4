import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_start_outside_debug_without_a_secret_key():
    result = _check({"DEBUG": "0"})
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_it_starts_outside_debug_with_a_secret_key():
    result = _check({"DEBUG": "0", "SECRET_KEY": "a-real-secret-for-this-test-only-1234567890"})
    assert result.returncode == 0, result.stderr
