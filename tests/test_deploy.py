"""The deployment files (deploy/, .env.example, the README's "Deploying") agree with the code.

They cannot run here (no Docker daemon, no cluster), so they are read: every `recap` command they
run is one the command line accepts, every variable they name is a real setting, every health check
and probe asks the paths and ports the processes serve, the image runs as a non-root user with a
health check, and the Kubernetes manifests render (`kubectl kustomize`, where kubectl exists) into
the objects an operator expects, with no real secret in them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import SecretStr
from pydantic_core import PydanticUndefined

from adapters.cli.commands import parser
from bot.settings import Settings
from tests.support.settings_names import names_by_field, setting_names, setting_value

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"

# The operations contract of issue 11: what every long-running process serves, and where.
HEALTH_PATHS = {"/healthz", "/readyz", "/metrics"}
HEALTH_PORT = 8080  # RECAP_HEALTH_PORT's default; `recap slack --port N` serves them on N instead
CONTRACT_SETTINGS = ("RECAP_HEALTH_PORT", "RECAP_LOG_FORMAT", "RECAP_RETENTION_DAYS")
LONG_RUNNING = {"slack", "discord", "worker"}
# Variables the deployment files may set that are not recap's settings: the image's own, and
# PostgreSQL's container's. Anything else that is not a setting is a typo recap would ignore.
NOT_SETTINGS = {
    "PATH",
    "HOME",
    "HF_HOME",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
}
# Names recap reads: a word in these families anywhere in a deployment file must be a setting.
OURS = re.compile(r"\b(?:RECAP|SLACK|DISCORD|ANTHROPIC)_[A-Z0-9_]+\b")
# What real credentials look like; placeholders in examples must not.
REAL_LOOKING = [
    re.compile(r"xox[abeoprs]-\d"),  # Slack tokens carry digits after the prefix
    re.compile(r"xapp-\d"),
    re.compile(r"sk-ant-[A-Za-z0-9_-]{8,}"),
    re.compile(r"[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}"),  # Discord bot token
    re.compile(r"[A-Za-z0-9_-]{43}="),  # a Fernet key
    re.compile(r"\b[0-9a-f]{32}\b"),  # a Slack signing or client secret
]


# --- the code's side ---------------------------------------------------------------------------


def known_names() -> set[str]:
    # The contract's settings count as known here; test_contract_settings_exist says if they are not.
    return set(setting_names()) | set(CONTRACT_SETTINGS)


def recap_command(argv: list[str]) -> None:
    """Fails the test unless `recap ARGV` is accepted by the command line's parser."""
    try:
        parser().parse_args(argv)
    except SystemExit as exc:
        if exc.code != 0:  # 0: --help
            pytest.fail(f"`recap {shlex.join(argv)}` is not a command adapters/cli/commands.py accepts")


# --- reading the files ---------------------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, with comments dropped and continuations joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or not stripped:
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, rest = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        pending = ""
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions(DOCKERFILE.read_text())
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def dockerfile_env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in stage:
        if keyword == "ENV":
            for item in shlex.split(rest):
                name, _, value = item.partition("=")
                env[name] = value
    return env


def env_example() -> dict[str, str]:
    """NAME -> value of every assignment in .env.example, commented out or not."""
    assignments: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.fullmatch(r"#?\s?([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            assert match[1] not in assignments, f"{match[1]} is listed twice in .env.example"
            assignments[match[1]] = match[2].strip()
    return assignments


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def recap_services() -> dict[str, dict[str, Any]]:
    """The compose services that run recap's image."""
    return {
        name: s
        for name, s in compose()["services"].items()
        if "build" in s or str(s.get("image", "")).startswith("recap")
    }


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {k: str(v) for k, v in env.items()}


def kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


def env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def k8s_files() -> list[dict[str, Any]]:
    """The base's objects as written, plus the ConfigMaps its generators make."""
    k = kustomization()
    objects = [doc for name in k["resources"] for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]
    for generator in k.get("configMapGenerator", []):
        data: dict[str, str] = {}
        for name in generator.get("envs", []):
            data.update(env_file(K8S / name))
        objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data})
    return objects


_rendered: list[dict[str, Any]] = []


def k8s_rendered() -> list[dict[str, Any]]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed here: the Kustomize base is checked as written only")
    if not _rendered:
        run = subprocess.run(
            ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=120, check=False
        )
        assert run.returncode == 0, f"kubectl kustomize deploy/k8s failed:\n{run.stderr}"
        _rendered.extend(doc for doc in yaml.safe_load_all(run.stdout) if doc)
    return _rendered


@pytest.fixture(params=["as-written", "rendered"])
def k8s(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return k8s_files() if request.param == "as-written" else k8s_rendered()


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def workloads(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet", "CronJob")]


def config_data(objects: list[dict[str, Any]], container: dict[str, Any]) -> dict[str, str]:
    """The settings a container gets from ConfigMaps (envFrom) and env."""
    maps = {o["metadata"]["name"]: o.get("data", {}) for o in of_kind(objects, "ConfigMap")}
    data: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in maps, f"container {container['name']} reads ConfigMap {name}, which the base does not make"
            data.update(maps[name])
    data.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    return data


def option(argv: list[str], flag: str) -> str | None:
    return argv[argv.index(flag) + 1] if flag in argv else None


def health_port(argv: list[str], env: dict[str, str]) -> int:
    """Where a recap process serves /healthz: `slack --port N` on N, every other on RECAP_HEALTH_PORT."""
    if argv[:1] == ["slack"] and option(argv, "--port"):
        return int(option(argv, "--port") or 0)
    return int(env.get("RECAP_HEALTH_PORT", HEALTH_PORT))


# --- health checks, run ---------------------------------------------------------------------------


def url_asked(code: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """Runs a health check's Python with urlopen caught: the (port, path) it would ask."""
    asked: list[str] = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, *a, **k: asked.append(url))
    for name in ("RECAP_HEALTH_PORT",):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    exec(compile(code, "<healthcheck>", "exec"), {})
    assert len(asked) == 1, f"the health check asked {asked}"
    url = urlsplit(asked[0])
    assert url.hostname in ("127.0.0.1", "localhost"), url
    return int(url.port or 80), url.path


def python_code(test: list[str]) -> str:
    """The code of a `python -c CODE` health check, in Dockerfile or compose form."""
    argv = test[1:] if test[0] in ("CMD", "CMD-SHELL") else test
    assert argv[:2] == ["python", "-c"], f"health checks run Python (the image has no curl): {test}"
    return argv[2]


class Health(BaseHTTPRequestHandler):
    status = 200
    paths: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        Health.paths.append(self.path)
        self.send_response(Health.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    Health.paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# --- settings -------------------------------------------------------------------------------------


def test_setting_names_come_from_settings_with_prefix_and_aliases():
    names = setting_names()
    assert names["RECAP_DATABASE_URL"] == "database_url"
    assert names["SLACK_BOT_TOKEN"] == "slack_bot_token" and "RECAP_SLACK_BOT_TOKEN" not in names
    assert names["ANTHROPIC_API_KEY"] == names["RECAP_ANTHROPIC_API_KEY"] == "anthropic_api_key"
    assert names["DISCORD_TOKEN"] == "discord_token"


def test_contract_settings_exist():
    """What the deployment files rely on from issue 11's other parts."""
    names = setting_names()
    missing = [name for name in CONTRACT_SETTINGS if name not in names]
    assert not missing, f"bot/settings.py has no {missing}, which deploy/ and .env.example use"
    fields = Settings.model_fields
    assert fields[names["RECAP_HEALTH_PORT"]].default == HEALTH_PORT
    for value in ("text", "json"):
        setting_value("RECAP_LOG_FORMAT", value)
    assert setting_value("RECAP_RETENTION_DAYS", "90") == 90


def test_env_example_lists_every_setting():
    listed = set(env_example())
    missing = sorted(min(names) for names in names_by_field().values() if not names & listed)
    assert not missing, f".env.example does not list {missing}"


def test_env_example_names_only_settings():
    unknown = sorted(set(env_example()) - known_names())
    assert not unknown, f".env.example lists {unknown}, which are not settings of bot/settings.py"


def test_env_example_shows_each_default():
    """Each line shows the default it keeps when commented: the field's own, or empty when there is none."""
    names = setting_names()
    for name, value in env_example().items():
        if name not in names:
            continue  # a contract setting not yet in the code: test_contract_settings_exist says so
        field = Settings.model_fields[names[name]]
        if field.default_factory is not None or field.default is None:
            assert value == "", f"{name} has no fixed default, yet .env.example shows {value!r}"
            continue
        assert field.default is not PydanticUndefined, name
        assert value != "", f".env.example shows no default for {name} (it is {field.default!r})"
        parsed = setting_value(name, value)
        if isinstance(parsed, SecretStr):
            parsed = parsed.get_secret_value()
        assert parsed == field.default, f".env.example says {name}={value}, but the default is {field.default!r}"


def test_env_example_is_commented_out_and_has_no_secret():
    """Copied as it is, it changes nothing (an empty SLACK_BOT_TOKEN= would be a token of '')."""
    for line in ENV_EXAMPLE.read_text().splitlines():
        assert not line.strip() or line.startswith("#"), f".env.example sets something: {line!r}"
        assert not any(p.search(line) for p in REAL_LOOKING), f"a real-looking secret in .env.example: {line!r}"
    for name in env_example():
        assert len([line for line in ENV_EXAMPLE.read_text().splitlines() if f"{name}=" in line]) == 1


@pytest.mark.parametrize(
    "path",
    [DOCKERFILE, COMPOSE, ENV_EXAMPLE, *sorted(K8S.iterdir())],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_name_of_ours_in_the_files_is_a_setting(path: Path):
    """A RECAP_/SLACK_/DISCORD_/ANTHROPIC_ name anywhere, comments included, is one recap reads."""
    unknown = sorted(set(OURS.findall(path.read_text())) - known_names())
    assert not unknown, f"{path.relative_to(ROOT)} names {unknown}, which are not settings"


# --- Dockerfile -----------------------------------------------------------------------------------


def test_dockerfile_base_is_slim_python_311_or_newer():
    for keyword, rest in dockerfile_instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            image = rest.split()[0]
            match = re.fullmatch(r"python:3\.(\d+)(?:\.\d+)?-slim(?:-\w+)?", image)
            assert match and int(match[1]) >= 11, f"not a slim Python 3.11+ base: {image}"


def test_dockerfile_runs_as_a_numeric_non_root_user():
    users = [rest for keyword, rest in final_stage() if keyword == "USER"]
    assert users, "the image runs as root: no USER in its final stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"USER {users[-1]}: Kubernetes' runAsNonRoot can check only a numeric id"


def test_dockerfile_entrypoint_and_command():
    stage = final_stage()
    entrypoints = [json.loads(rest) for keyword, rest in stage if keyword == "ENTRYPOINT"]
    assert entrypoints and entrypoints[-1] == ["recap"]
    for keyword, rest in stage:
        if keyword == "CMD":
            recap_command(json.loads(rest))


def test_dockerfile_installs_the_project_with_postgres_and_a_js_runtime_without_ffmpeg():
    runs = " ".join(rest for keyword, rest in dockerfile_instructions(DOCKERFILE.read_text()) if keyword == "RUN")
    assert re.search(r"pip install [\"']?\.\[postgres\]", runs), "the project is not installed with its postgres extra"
    final = " ".join(rest for keyword, rest in final_stage() if keyword in ("RUN", "COPY"))
    assert re.search(r"apt-get install .*\bnodejs\b", final) or "deno" in final, "no JavaScript runtime for yt-dlp"
    assert "ffmpeg" not in final


def test_dockerfile_copies_every_package_the_project_installs():
    copies = [
        shlex.split(rest) for keyword, rest in dockerfile_instructions(DOCKERFILE.read_text()) if keyword == "COPY"
    ]
    copied = {source for words in copies if not words[0].startswith("--") for source in words[:-1]}
    include = re.search(r"include = \[([^\]]*)\]", (ROOT / "pyproject.toml").read_text())
    assert include
    for package in re.findall(r'"(\w+)\*?"', include[1]):
        assert package in copied, f"the image never copies the package {package}"
    assert {"pyproject.toml", "README.md"} <= copied  # the build reads both
    for source in copied:
        assert (ROOT / source).exists(), f"the image copies {source}, which is not in the repository"


def test_dockerfile_keeps_database_and_models_in_its_volume():
    stage = final_stage()
    volumes = [v for keyword, rest in stage if keyword == "VOLUME" for v in json.loads(rest)]
    assert volumes, "no VOLUME for the SQLite file and the models"
    env = dockerfile_env(stage)
    database = env["RECAP_DATABASE_URL"]
    assert database.startswith("sqlite:////")
    assert any(database.removeprefix("sqlite:///").startswith(v.rstrip("/") + "/") for v in volumes), database
    assert any(env["HF_HOME"].startswith(v.rstrip("/") + "/") for v in volumes), "whisper models outside the volume"
    assert setting_value("RECAP_DATABASE_URL", database) == database


def test_dockerfile_health_port_and_exposed_ports():
    stage = final_stage()
    env = dockerfile_env(stage)
    assert int(env.get("RECAP_HEALTH_PORT", HEALTH_PORT)) == HEALTH_PORT
    exposed = {int(p.split("/")[0]) for keyword, rest in stage if keyword == "EXPOSE" for p in rest.split()}
    assert HEALTH_PORT in exposed
    for name in env:
        assert name in known_names() or name in NOT_SETTINGS, f"the image sets {name}, which nothing reads"


def dockerfile_healthcheck() -> list[str]:
    checks = [rest for keyword, rest in final_stage() if keyword == "HEALTHCHECK"]
    assert checks, "the image has no HEALTHCHECK"
    _, _, command = checks[-1].partition("CMD ")
    return ["CMD", *json.loads(command)]


def test_dockerfile_healthcheck_asks_healthz_on_the_health_port(monkeypatch: pytest.MonkeyPatch):
    code = python_code(dockerfile_healthcheck())
    env = dockerfile_env(final_stage())
    assert url_asked(code, {}, monkeypatch) == (HEALTH_PORT, "/healthz")
    assert url_asked(code, {"RECAP_HEALTH_PORT": "9100"}, monkeypatch) == (9100, "/healthz")
    assert url_asked(code, {"RECAP_HEALTH_PORT": env["RECAP_HEALTH_PORT"]}, monkeypatch)[0] == HEALTH_PORT


def test_dockerfile_healthcheck_passes_when_healthy_and_fails_otherwise(health_server: ThreadingHTTPServer):
    argv = [sys.executable, "-c", python_code(dockerfile_healthcheck())]
    env = {**os.environ, "RECAP_HEALTH_PORT": str(health_server.server_address[1])}
    Health.status = 200
    assert subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode == 0
    assert Health.paths == ["/healthz"]
    Health.status = 503
    assert subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode != 0
    health_server.shutdown()
    health_server.server_close()  # nobody listening: unhealthy too
    assert subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode != 0


# --- migrate --------------------------------------------------------------------------------------


def migrate_commands() -> list[list[str]]:
    """The argv of compose's migrate service and of the Kubernetes Job (without the image's entrypoint)."""
    migrate = compose()["services"]["migrate"]
    argv = [*(migrate.get("entrypoint") or ["recap"]), *(migrate.get("command") or [])]
    commands = [argv]
    for job in of_kind(k8s_files(), "Job"):
        for container in pod_spec(job)["containers"]:
            commands.append([*(container.get("command") or ["recap"]), *container.get("args", [])])
    return commands


@pytest.mark.parametrize("which", [0, 1], ids=["compose", "k8s"])
def test_migrate_brings_a_database_to_the_newest_schema(which: int, tmp_path: Path):
    from bot.store import HEAD

    argv = migrate_commands()[which]
    database = tmp_path / "recap.sqlite3"
    env = {**os.environ, "RECAP_DATABASE_URL": f"sqlite:///{database}"}
    if argv[0] == "recap":
        recap_command(argv[1:])
        argv = [sys.executable, "-m", "adapters.cli.commands", *argv[1:]]
    else:
        assert argv[:2] == ["python", "-c"], argv
        argv = [sys.executable, *argv[1:]]
    run = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD,)


# --- compose --------------------------------------------------------------------------------------


def test_compose_has_the_services():
    services = compose()["services"]
    assert {"postgres", "migrate", "slack", "discord", "worker"} <= set(services)
    assert "healthcheck" in services["postgres"] and "pg_isready" in str(services["postgres"]["healthcheck"]["test"])


def test_compose_builds_the_image_from_the_dockerfile():
    for name, service in recap_services().items():
        build = service["build"]
        context = (DEPLOY / build["context"]).resolve()
        assert context == ROOT, name
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE.resolve(), name


def test_compose_runs_commands_recap_has():
    services = recap_services()
    for name, service in services.items():
        if name == "migrate":
            continue  # test_migrate_brings_a_database_to_the_newest_schema runs it
        assert "entrypoint" not in service, f"{name} replaces the image's `recap` entrypoint"
        recap_command(service["command"])
        assert service["command"][0] in LONG_RUNNING
    assert {s["command"][0] for n, s in services.items() if n != "migrate"} == LONG_RUNNING


def test_compose_services_read_dotenv_and_run_workers_on_postgres():
    for name, service in recap_services().items():
        files = service["env_file"] if isinstance(service["env_file"], list) else [service["env_file"]]
        paths = [(DEPLOY / (f["path"] if isinstance(f, dict) else f)).resolve() for f in files]
        assert ROOT / ".env" in paths, f"{name} does not read the .env made from .env.example"
        env = environment(service)
        assert (
            env["RECAP_DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:" in env["RECAP_DATABASE_URL"]
        )
        if name != "migrate":
            assert env["RECAP_JOBS"] == "workers", name
        for variable in env:
            assert variable in known_names(), f"{name} sets {variable}, which is not a setting"
            if variable in setting_names() and "$" not in env[variable]:
                setting_value(variable, env[variable])


def test_compose_environment_of_other_services_is_theirs():
    for name, service in compose()["services"].items():
        if name not in recap_services():
            for variable in environment(service):
                assert variable in NOT_SETTINGS, f"{name} sets {variable}"


def test_compose_start_order():
    services = compose()["services"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"].get("restart") in ("no", None)
    for name, service in recap_services().items():
        if name == "migrate":
            continue
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name


def test_compose_worker_scales():
    worker = compose()["services"]["worker"]
    for key in ("container_name", "ports", "hostname"):
        assert key not in worker, f"worker has {key}: `docker compose up --scale worker=N` would clash"
    assert "replicas" not in (worker.get("deploy") or {}), "a fixed replica count fights --scale"


def test_compose_volumes_are_declared():
    document = compose()
    for name, service in document["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in (document.get("volumes") or {}), f"{name} mounts undeclared volume {source}"


def test_compose_health_checks_ask_the_contract(monkeypatch: pytest.MonkeyPatch):
    for name, service in recap_services().items():
        if name == "migrate":
            assert service["healthcheck"] == {"disable": True}
            continue
        code = python_code(service["healthcheck"]["test"])
        env = environment(service)
        port, path = url_asked(code, {k: v for k, v in env.items() if k == "RECAP_HEALTH_PORT"}, monkeypatch)
        assert path in HEALTH_PATHS - {"/metrics"}, f"{name}'s health check asks {path}"
        assert port == health_port(service["command"], env), f"{name}'s health check asks port {port}"
        if "--port" not in service["command"]:
            assert port == HEALTH_PORT


# --- Kubernetes -----------------------------------------------------------------------------------


def test_k8s_objects(k8s: list[dict[str, Any]]):
    kinds = sorted(o["kind"] for o in k8s)
    assert kinds == sorted(["Namespace", "ConfigMap", "Service", "Deployment", "Deployment", "Deployment", "Job"])
    commands = {pod_spec(d)["containers"][0]["args"][0] for d in of_kind(k8s, "Deployment")}
    assert commands == LONG_RUNNING


def test_k8s_commands_exist(k8s: list[dict[str, Any]]):
    for workload in of_kind(k8s, "Deployment"):
        for container in pod_spec(workload)["containers"]:
            assert "command" not in container, "replacing the image's `recap` entrypoint"
            recap_command(container["args"])


def test_k8s_probes_ask_the_contract(k8s: list[dict[str, Any]]):
    for deployment in of_kind(k8s, "Deployment"):
        for container in pod_spec(deployment)["containers"]:
            env = config_data(k8s, container)
            assert int(env.get("RECAP_HEALTH_PORT", HEALTH_PORT)) == HEALTH_PORT
            expected = health_port(container["args"], env)
            ports = {p.get("name"): p["containerPort"] for p in container["ports"]}
            assert expected in ports.values(), f"{container['name']} does not declare port {expected}"
            for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", None)):
                if probe not in container:
                    assert probe == "startupProbe", f"{container['name']} has no {probe}"
                    continue
                get = container[probe]["httpGet"]
                assert get["path"] == (path or "/healthz"), f"{container['name']}'s {probe} asks {get['path']}"
                port = ports.get(get["port"], get["port"])
                assert port == expected, f"{container['name']}'s {probe} asks port {get['port']}"
            annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
            assert annotations.get("prometheus.io/path") == "/metrics"
            assert int(annotations.get("prometheus.io/port", 0)) == expected


def test_k8s_settings_are_settings(k8s: list[dict[str, Any]]):
    for config in of_kind(k8s, "ConfigMap"):
        for name, value in config.get("data", {}).items():
            assert name in known_names(), f"ConfigMap sets {name}, which is not a setting"
            if name in setting_names():
                setting_value(name, value)
    for workload in workloads(k8s):
        for container in pod_spec(workload)["containers"]:
            for variable in container.get("env", []):
                assert variable["name"] in known_names() | NOT_SETTINGS, variable["name"]


def test_k8s_pods_read_config_and_the_documented_secret(k8s: list[dict[str, Any]]):
    example = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    for workload in workloads(k8s):
        for container in pod_spec(workload)["containers"]:
            config_data(k8s, container)  # every ConfigMap it reads exists
            secrets = [s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s]
            assert secrets == [example["metadata"]["name"]], container["name"]


def test_k8s_runs_non_root_with_resources(k8s: list[dict[str, Any]]):
    uid = int([rest for keyword, rest in final_stage() if keyword == "USER"][-1].split(":")[0])
    for workload in workloads(k8s):
        pod = pod_spec(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == uid, "not the image's user"
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            if context.get("readOnlyRootFilesystem"):
                mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
                assert "/tmp" in mounts, f"{container['name']}: a read-only root and nowhere to download"
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][part]), f"{container['name']} {part}"


def test_k8s_slack_service_reaches_slack_http_mode(k8s: list[dict[str, Any]]):
    (service,) = of_kind(k8s, "Service")
    (slack,) = [d for d in of_kind(k8s, "Deployment") if pod_spec(d)["containers"][0]["args"][0] == "slack"]
    labels = slack["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    container = pod_spec(slack)["containers"][0]
    assert option(container["args"], "--port"), "the Service is for Slack's HTTP mode"
    ports = {p.get("name"): p["containerPort"] for p in container["ports"]}
    target = service["spec"]["ports"][0]["targetPort"]
    assert ports.get(target, target) == int(option(container["args"], "--port") or 0)


def test_k8s_rendered_images_are_the_recap_image_by_tag():
    objects = k8s_rendered()
    (image,) = kustomization()["images"]
    expected = f"{image['newName']}:{image['newTag']}"
    for workload in workloads(objects):
        for container in pod_spec(workload)["containers"]:
            assert container["image"] == expected
            assert not container["image"].endswith(":latest")


def test_k8s_rendered_objects_live_in_one_namespace():
    objects = k8s_rendered()
    (namespace,) = of_kind(objects, "Namespace")
    for o in objects:
        if o["kind"] != "Namespace":
            assert o["metadata"]["namespace"] == namespace["metadata"]["name"], o["metadata"]["name"]


def secret_values(secret: dict[str, Any]) -> dict[str, str]:
    import base64

    values = dict(secret.get("stringData") or {})
    values.update({k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()})
    return values


def test_k8s_secrets_hold_placeholders_only():
    examples = [yaml.safe_load((K8S / "secret.example.yaml").read_text())]
    rendered = of_kind(k8s_rendered(), "Secret") if shutil.which("kubectl") else []
    for secret in examples + rendered:
        for name, value in secret_values(secret).items():
            assert name in known_names(), f"the Secret sets {name}, which is not a setting"
            assert "CHANGE-ME" in value, f"{name} in Secret {secret['metadata']['name']} is not a placeholder"
            assert not any(p.search(value) for p in REAL_LOOKING), f"{name} looks real"
    assert "secret.example.yaml" not in kustomization()["resources"], "applying the base would overwrite the Secret"


# --- README ---------------------------------------------------------------------------------------


def deploying_section() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^## Deploying\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    assert match, 'README.md has no "## Deploying" section'
    return match[1]


def test_readme_deploying_covers_each_way():
    section = deploying_section()
    for needle in (
        "kubectl apply -k deploy/k8s",
        "deploy/compose.yaml",
        "--scale worker=",
        ".env.example",
        "deploy/Dockerfile",
    ):
        assert needle in section, f"README's Deploying section does not mention {needle}"
    for path in re.findall(r"`(deploy/[\w./-]+)`", section):
        assert (ROOT / path).exists(), f"README names {path}, which does not exist"


def test_readme_deploying_commands_and_names_exist():
    section = deploying_section()
    unknown = sorted(set(OURS.findall(section)) - known_names())
    assert not unknown, f"README's Deploying section names {unknown}, which are not settings"
    blocks = re.findall(r"```(?:sh|bash)?\n(.*?)```", section, re.DOTALL)
    commands = 0
    for line in (line.split("#")[0].strip() for block in blocks for line in block.splitlines()):
        words = shlex.split(line) if line else []
        if words[:1] == ["recap"]:
            recap_command(words[1:])
            commands += 1
        elif words[:2] == ["docker", "run"] and "recap" in words:
            recap_command(words[len(words) - words[::-1].index("recap") :])  # after the image name
            commands += 1
    assert commands, "the Deploying section runs no recap command"
