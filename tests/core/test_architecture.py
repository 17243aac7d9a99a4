"""The architecture contract in pyproject.toml ([tool.importlinter]) holds, and it catches a
forbidden import, including one made inside a function."""

import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
PACKAGES = ("apps", "model_worker", "annotation_site", "benchmarks")


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_hold():
    result = _lint(Path(settings.BASE_DIR))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_forbidden_import_inside_a_function_breaks_the_contract(tmp_path):
    base = Path(settings.BASE_DIR)
    for package in PACKAGES:
        shutil.copytree(base / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(base / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "apps" / "pairs" / "probe.py").write_text(
        "def enqueue(pair_id):\n"
        "    from model_worker.tasks import pair_generate_task\n\n"
        "    pair_generate_task.delay(pair_id)\n\n\n"
        "def turns(pair):\n"
        "    from apps.dialogues.models import Turn\n\n"
        "    return Turn.objects.filter(pair=pair)\n"
    )

    result = _lint(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "apps.pairs.probe -> model_worker.tasks" in out
    assert "apps.pairs is not allowed to import apps.dialogues" in out
    assert "Contracts: 1 kept, 2 broken." in out
