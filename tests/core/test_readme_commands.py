"""Every command in the README's ```sh blocks, run as printed on a fresh `make run`.

Each command is classified. `make run` is started and stopped; the `manage.py` and `curl`
commands run for real, in README order, against a `make run` this module starts on a fresh
data dir (only `localhost:8000` becomes its port); `echo ... > .env` runs in a scratch dir.
What cannot run inside the suite is checked instead: `make test` by a dry run, `docker
compose` against docker-compose.yml. A command of any other kind fails the test, so a new
README command has to be taught here.
"""

import json
import re
import shlex
import subprocess
import time
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

import environ
import pytest
import yaml
from django.core.management import get_commands, load_command_class

from tests.core.test_docker_compose import settings_environment_variables
from tests.make_run import ROOT, MakeRun, free_port, user_env

README = ROOT / "README.md"
PRINTED_HOST = "localhost:8000"
VENV_PYTHON = ".venv/bin/python"
# Commands that change only the site's own data, so they may run against a scratch site.
RUNNABLE_MANAGE_COMMANDS = {"api_token_create"}
EXPORT_JOB_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30


@dataclass(frozen=True)
class Command:
    text: str  # as printed, continuation lines joined
    env: dict[str, str]  # leading NAME=value assignments
    argv: list[str]  # the rest, comments dropped
    assigns: str | None  # NAME in `NAME=$(...)`, whose value later commands use

    @property
    def kind(self) -> str:
        return next((kind for kind, matches in KINDS if matches(self)), "unknown")


KINDS = [
    (
        "make run",
        lambda c: (
            c.argv[:2] == ["make", "run"] and all(re.fullmatch(r"PORT=\d+", a) for a in c.argv[2:])
        ),
    ),
    ("make test", lambda c: c.argv == ["make", "test"]),
    ("curl", lambda c: c.argv[:1] == ["curl"]),
    ("docker compose", lambda c: c.argv[:2] == ["docker", "compose"]),
    (
        "dotenv",
        lambda c: re.fullmatch(r'echo "SECRET_KEY=\$\(openssl rand -hex 32\)" > \.env\b.*', c.text),
    ),
    (
        "manage.py",
        lambda c: (
            len(c.argv) > 2 and c.argv[1] == "manage.py" and c.argv[2] in RUNNABLE_MANAGE_COMMANDS
        ),
    ),
]


def readme_commands() -> list[Command]:
    text = README.read_text()
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M):
        for line in block.replace("\\\n", "").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(_parse(line.strip()))
    return commands


def _parse(text: str) -> Command:
    assigns = None
    inner = text
    if match := re.fullmatch(r"([A-Z_]+)=\$\((.*)\)(\s+#.*)?", text):
        assigns, inner = match[1], match[2]
    words = shlex.split(inner, comments=True)
    env = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return Command(text=text, env=env, argv=words, assigns=assigns)


COMMANDS = readme_commands()


def _of_kind(kind: str) -> list[Command]:
    return [command for command in COMMANDS if command.kind == kind]


def test_it_knows_every_command_in_the_readme():
    unknown = [command.text for command in COMMANDS if command.kind == "unknown"]
    assert not unknown, f"README commands this test cannot run or check: {unknown}"
    assert {"make run", "make test", "curl", "manage.py", "docker compose"} <= {
        command.kind for command in COMMANDS
    }


# --- a fresh `make run`, and the commands that run against it -----------------------------


class Site:
    """A `make run` of the README on a free port, and the variables its commands set."""

    def __init__(self, command: Command, data_dir: Path, log_path: Path) -> None:
        self.port = free_port()
        # The worker gets no model (a file that does not exist), so the demo pool's generation
        # fails at once instead of holding the one worker process for a minute before the
        # README's export job. Nothing else here needs the model.
        self.env = user_env(
            data_dir, PORT=str(self.port), DEFAULT_MODEL_SOURCE=str(data_dir / "no-model.gguf")
        )
        # Only the port changes: an explicit PORT=N becomes the free one.
        text = re.sub(r"\bPORT=\d+", f"PORT={self.port}", command.text)
        self.run = MakeRun(text, env=self.env, log_path=log_path)
        self.variables: dict[str, str] = {}  # set by `NAME=$(...)` commands

    def shell(self, command: Command, *, cwd: Path) -> subprocess.CompletedProcess:
        text = command.text.replace(PRINTED_HOST, f"localhost:{self.port}")
        script = f"set -euo pipefail\n{text}"
        if command.assigns:
            script += f'\nprintf "%s" "${command.assigns}"'
        return subprocess.run(
            ["bash", "-c", script],
            cwd=cwd,
            env=self.env | self.variables,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def stop_with_ctrl_c(self) -> None:
        self.run.interrupt()
        left = self.run.wait_all_stopped(timeout_s=STOP_TIMEOUT_S)
        assert not left, f"still running after Ctrl-C: {left}\n{self.run.log_tail()}"


def test_the_make_run_token_and_curl_commands_work_as_printed_on_a_fresh_checkout(tmp_path):
    """The first `make run` serves the token and curl commands; each other one starts after
    it stopped, on the same data dir (so it migrates nothing), and is stopped in turn."""
    for index, command in enumerate(_of_kind("make run")):
        site = Site(command, tmp_path / "data", tmp_path / f"make-run-{index}.log")
        try:
            site.run.wait_serving(site.port)
            if index == 0:
                _run_token_and_curl_commands(site, tmp_path / "cwd")
            site.stop_with_ctrl_c()
        finally:
            site.run.kill_leftovers()


def _run_token_and_curl_commands(site: Site, cwd: Path) -> None:
    cwd.mkdir()
    jobs_created: list[int] = []
    for command in COMMANDS:
        if command.kind == "manage.py":
            result = site.shell(command, cwd=ROOT)
            assert result.returncode == 0, f"{command.text}\n{result.stderr[-3000:]}"
            assert re.fullmatch(r"\S+", result.stdout.strip()), (command.text, result.stdout)
            if command.assigns:
                site.variables[command.assigns] = result.stdout
        elif command.kind == "curl":
            _curl(site, command, cwd, jobs_created)


def _curl(site: Site, command: Command, cwd: Path, jobs_created: list[int]) -> None:
    for name in re.findall(r"\$(\w+)", command.text):
        assert name in site.variables, f"no README command before `{command.text}` sets ${name}"
    if job := re.search(r"/api/exports/jobs/(\d+)/", command.text):
        assert int(job[1]) in jobs_created, f"{command.text}: no job {job[1]} was created"
        if "/download/" in command.text:
            _wait_for_job(site, int(job[1]))
    failing_on_http_errors = "curl --fail-with-body --silent --show-error "
    checked = replace(command, text=command.text.replace("curl ", failing_on_http_errors, 1))
    result = site.shell(checked, cwd=cwd)
    assert result.returncode == 0, f"{command.text}\n{result.stdout[-2000:]}{result.stderr}"
    if "/api/exports/jobs/" in command.text and " -d " in command.text:
        jobs_created.append(json.loads(result.stdout)["id"])


def _wait_for_job(site: Site, job_id: int) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{site.port}/api/exports/jobs/{job_id}/",
        headers={"Authorization": f"Token {site.variables['KEY']}"},
    )
    deadline = time.monotonic() + EXPORT_JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        with urllib.request.urlopen(request, timeout=10) as response:
            state = json.load(response)["state"]
        if state not in ("queued", "running"):
            assert state == "done", f"export job {job_id} ended {state}"
            return
        time.sleep(0.5)
    pytest.fail(
        f"export job {job_id} not done after {EXPORT_JOB_TIMEOUT_S}s:\n{site.run.log_tail()}"
    )


# --- what cannot run inside the suite -------------------------------------------------------


@pytest.mark.parametrize("command", _of_kind("make test"), ids=lambda c: c.text)
def test_the_make_test_commands_would_run_pytest_with_the_settings_they_name(command):
    assert set(command.env) <= settings_environment_variables(), command.env
    if "DATABASE_URL" in command.env:
        engine = environ.Env.db_url_config(command.env["DATABASE_URL"])["ENGINE"]
        assert engine == "django.db.backends.postgresql"
    if "REDIS_URL" in command.env:
        assert command.env["REDIS_URL"].startswith("redis://")
    dry_run = subprocess.run(
        ["make", "-n", *command.argv[1:]],
        cwd=ROOT,
        env=user_env(Path("/nonexistent")) | command.env,
        capture_output=True,
        text=True,
    )
    assert dry_run.returncode == 0, dry_run.stderr
    assert "-m pytest" in dry_run.stdout


@pytest.mark.parametrize("command", _of_kind("dotenv"), ids=lambda c: c.text)
def test_the_dotenv_command_writes_a_secret_key_the_settings_accept(command, tmp_path):
    result = subprocess.run(["bash", "-c", command.text], cwd=tmp_path, capture_output=True)
    assert result.returncode == 0, result.stderr
    name, _, key = (tmp_path / ".env").read_text().strip().partition("=")
    assert name == "SECRET_KEY" and re.fullmatch(r"[0-9a-f]{64}", key)
    assert "${SECRET_KEY:?" in (ROOT / "docker-compose.yml").read_text()
    check = subprocess.run(
        [VENV_PYTHON, "manage.py", "check"],
        cwd=ROOT,
        env=user_env(tmp_path / "data", DEBUG="0", SECRET_KEY=key),
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr[-3000:]


@pytest.mark.parametrize("command", _of_kind("docker compose"), ids=lambda c: c.text)
def test_the_docker_compose_commands_name_what_the_compose_file_defines(command):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    profiles = {p for service in services.values() for p in service.get("profiles", [])}
    words = command.argv[2:]
    while words[:1] == ["--profile"]:
        assert words[1] in profiles, f"no profile {words[1]}"
        words = words[2:]
    subcommand, options = words[0], words[1:]
    if subcommand == "up":
        for i, option in enumerate(options):
            if option == "--scale":
                assert options[i + 1].split("=")[0] in services
            else:
                assert option in {"-d", "--build"} or options[i - 1] == "--scale", option
    elif subcommand == "logs":
        assert options[0] == "-f" and set(options[1:]) <= set(services), options
    elif subcommand == "exec":
        service, program = options[0], options[1:]
        assert service in services, service
        assert program[:2] == ["python", "manage.py"], program
        _assert_manage_command_parses(program[2:])
    else:
        pytest.fail(f"this test does not know `docker compose {subcommand}`")


def _assert_manage_command_parses(argv: list[str]) -> None:
    name, arguments = argv[0], argv[1:]
    app = get_commands()[name]
    parser = load_command_class(app, name).create_parser("manage.py", name)
    parser.parse_args(arguments)
