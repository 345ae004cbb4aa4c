"""``make image-test``: run the built image the way production runs it, and check it serves.

The container runs with a read-only root filesystem and a tmpfs on /tmp (as the Kubernetes
Deployment's emptyDir), as the image's non-root user, with no capabilities and no privilege
escalation. Checked, in order: ``/readyz`` answers 200; the process is uid 10001 and cannot
write its root filesystem; the image's HEALTHCHECK passes (podman); the polarity model's base
packages (requirements/models.txt) are installed with their pinned files, and the committed
trained weights serve (``/v1/languages`` names the model with the checkout's pinned sha256);
a French and an English sample article (samples/) are enriched; and a clean stop: SIGTERM
while a request is in flight, that request still gets its 200, and the container exits with
0 within gunicorn's graceful timeout. The container is removed in every case.

Standard library only, so that it runs with the machine's python3.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS_PIN = ROOT / "service/engines/polarity/weights/polarity.safetensors.sha256"
SAMPLES = {
    "fr": ROOT / "samples" / "fr-peche-maquereau.txt",
    "en": ROOT / "samples" / "en-lumber-tariffs.txt",
}
APP_UID = "10001"
READY_SECONDS = 300


def say(message: str) -> None:
    """One line of the run's report."""
    print(f"image-test: {message}", flush=True)


def runner() -> list[str]:
    """The container CLI: Docker when its daemon answers, else podman with runc (the
    runtime that worked on the development machine)."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "info"], capture_output=True, check=False).returncode == 0
    ):
        return [docker]
    podman = shutil.which("podman")
    if podman is None:
        sys.exit("image-test: neither a Docker daemon nor podman here (make image installs podman)")
    return [podman, "--runtime", "runc"]


def run(cli: list[str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a container CLI command, capturing its output."""
    result = subprocess.run([*cli, *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(
    method: str,
    url: str,
    body: bytes | None = None,
    content_type: str | None = None,
    timeout: float = 120,
) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of one request (error statuses included)."""
    request = urllib.request.Request(url, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_ready(base: str, cli: list[str], name: str) -> float:
    """Seconds until /readyz answers 200; fails if the container exits first."""
    start = time.monotonic()
    while time.monotonic() - start < READY_SECONDS:
        try:
            status, body = http("GET", f"{base}/readyz", timeout=5)
            if status == 200:
                languages = ", ".join(
                    f"{k} {v['state']}" for k, v in body.get("languages", {}).items()
                )
                say(f"/readyz 200 after {time.monotonic() - start:.1f} s ({languages})")
                return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            pass
        state = run(
            cli, "inspect", "--format", "{{.State.Running}}", name, check=False
        ).stdout.strip()
        if state != "true":
            raise RuntimeError("the container exited before it was ready:\n" + logs(cli, name))
        time.sleep(1)
    raise RuntimeError(f"not ready after {READY_SECONDS} s:\n" + logs(cli, name))


def logs(cli: list[str], name: str, lines: int = 30) -> str:
    """The container's last log lines."""
    result = run(cli, "logs", "--tail", str(lines), name, check=False)
    return (result.stdout + result.stderr).strip()


def check_locked_down(cli: list[str], name: str) -> None:
    """The service runs as the image's user and cannot write its root filesystem."""
    uid = run(cli, "exec", name, "id", "-u").stdout.strip()
    assert uid == APP_UID, f"runs as uid {uid}, not {APP_UID}"
    write = run(cli, "exec", name, "sh", "-c", "echo x > /app/probe", check=False)
    assert write.returncode != 0, "the root filesystem is writable"
    say(f"runs as uid {uid}; root filesystem read-only ({write.stderr.strip().split(': ')[-1]})")
    if Path(cli[0]).name == "podman":
        health = run(cli, "healthcheck", "run", name, check=False)
        assert health.returncode == 0, f"HEALTHCHECK failed: {health.stdout}{health.stderr}"
        say("HEALTHCHECK (python -> /healthz): healthy")


# Run inside the container: the polarity model's two base packages, found and checked against
# their pinned sha256 exactly as the service does before it loads the model.
BASE_CHECK = """
from importlib.metadata import version
from service.engines.polarity.base_files import pinned
from service.engines.polarity.loader import load_base
base = load_base()
print(", ".join(f"{s.package} {version(s.package)}" for s in pinned().values()),
      f"(pinned files verified; encoder of {base.e5.dims.layers} layers)")
"""


def check_polarity(base: str, cli: list[str], name: str) -> None:
    """The model's base packages are in the image, and the committed weights serve: the
    model named in /v1/languages is the one the checkout's pin describes."""
    found = run(cli, "exec", name, "python", "-c", BASE_CHECK, check=False)
    assert found.returncode == 0, f"polarity base packages: {found.stderr.strip()[-600:]}"
    say(f"polarity base packages: {found.stdout.strip().splitlines()[-1]}")
    pinned_sha = WEIGHTS_PIN.read_text(encoding="ascii").split()[0]
    status, body = http("GET", f"{base}/v1/languages")
    polarity = body.get("polarity", {})
    assert status == 200 and polarity.get("state") == "ready", f"/v1/languages: {polarity}"
    assert f"@{pinned_sha[:12]}" in (polarity.get("model") or ""), (
        f"not the pinned weights: {polarity}"
    )
    say(f"polarity model ready: {polarity['model']}")


def check_answer(base: str, language: str) -> None:
    """A sample article is enriched: the language, actors and a stance come back."""
    text = SAMPLES[language].read_text(encoding="utf-8")
    if language == "fr":  # the README's curl example: the article as text/plain
        status, body = http("POST", f"{base}/v1/enrich?id=demo-fr", text.encode(), "text/plain")
    else:  # as JSON, with a target
        payload = {"id": "demo-en", "text": text, "options": {"targets": ["lumber"]}}
        status, body = http(
            "POST", f"{base}/v1/enrich", json.dumps(payload).encode(), "application/json"
        )
    assert status == 200, f"{language}: {status} {body}"
    assert body["language"] == language, body["language"]
    # A stance's target is an actor or one of the client's targets ("lumber" is t1).
    names = {a["id"]: a["name"] for a in body["actors"]}
    names |= {t["id"]: f"'{t['text']}'" for t in body.get("targets", [])}
    stances = [
        f"{a['name']} -> {names.get(s['target'], s['target'])} {s['label']}"
        for a in body["actors"]
        for s in a["stances"]
        if s["label"] != "neutral"
    ]
    assert stances, f"{language}: no stance in the answer"
    top = sorted(body["actors"], key=lambda a: -a["salience"])[:4]
    say(
        f"{language}: 200, engine {body['engine']['name']}, {body['sentences']} sentences, "
        f"{len(body['entities'])} entities, {len(body['actors'])} actors, "
        f"{len(body['quotes'])} quotes, {body['timings']}"
    )
    say(
        f"{language}: top actors "
        + "; ".join(f"{a['name']} ({a['type']}, {a['sentiment']['label']})" for a in top)
    )
    say(f"{language}: stances " + "; ".join(stances[:4]))


def graceful_timeout(cli: list[str], name: str) -> float:
    """gunicorn's graceful_timeout as the image's own gunicorn.conf.py computes it."""
    program = "import runpy; print(runpy.run_path('gunicorn.conf.py')['graceful_timeout'])"
    return float(run(cli, "exec", name, "python", "-c", program).stdout.strip().splitlines()[-1])


def check_clean_stop(base: str, cli: list[str], name: str) -> None:
    """SIGTERM with a request in flight: it still answers 200, the container exits 0 in time."""
    grace = graceful_timeout(cli, name)
    # About 20 engine-seconds' worth of text, never seen before: a cache miss in flight.
    text = (SAMPLES["fr"].read_text(encoding="utf-8") + "\n\n") * 20 + f"Arrêt {uuid.uuid4()}."
    answer: dict[str, Any] = {}

    def post() -> None:
        payload = json.dumps({"text": text, "language": "fr"}).encode()
        answer["status"], _ = http("POST", f"{base}/v1/enrich", payload, "application/json")

    client = threading.Thread(target=post)
    client.start()
    time.sleep(1.0)
    signalled = time.monotonic()
    run(cli, "kill", "--signal", "TERM", name)
    exited = run(cli, "wait", name, check=False)
    elapsed = time.monotonic() - signalled
    client.join(timeout=grace)
    code = exited.stdout.strip().splitlines()[-1] if exited.stdout.strip() else "?"
    say(
        f"SIGTERM with a {len(text):,}-character request in flight: it answered "
        f"{answer.get('status')}, the container exited {code} after {elapsed:.1f} s "
        f"(graceful timeout {grace:.0f} s)"
    )
    assert answer.get("status") == 200, "the in-flight request was not answered"
    assert code == "0", f"exit code {code}:\n" + logs(cli, name)
    assert elapsed < grace, "the stop took longer than gunicorn's graceful timeout"


def main() -> int:
    """Run the checks; 0 when all hold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True)
    args = parser.parse_args()
    cli = runner()
    name = f"news-enrich-image-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    options = [
        "--read-only",
        "--tmpfs",
        "/tmp:rw,size=256m",
        "--user",
        f"{APP_UID}:{APP_UID}",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "-p",
        f"127.0.0.1:{port}:8080",
    ]
    tool = " ".join(Path(c).name for c in cli)
    say(f"{tool} run {args.image} as {name} ({' '.join(options[:-2])})")
    if Path(cli[0]).name == "podman":
        # podman schedules HEALTHCHECK with systemd timers, which a machine without systemd
        # (this one) lacks: no timer; check_locked_down runs the check once itself.
        options += ["--health-interval", "disable"]
        # podman's default limits (open files 1048576, processes 4194304) are above what
        # runc may set on this machine ("error setting rlimit ... operation not permitted",
        # `--ulimit host` too); these are ample for 2 workers x 4 threads.
        options += ["--ulimit", "nofile=16384:16384", "--ulimit", "nproc=4096:4096"]
    try:
        run(cli, "run", "-d", "--name", name, *options, args.image)
        wait_ready(base, cli, name)
        check_locked_down(cli, name)
        check_polarity(base, cli, name)
        check_answer(base, "fr")
        check_answer(base, "en")
        check_clean_stop(base, cli, name)
    except (AssertionError, RuntimeError) as failure:
        say(f"FAILED: {failure}")
        print(logs(cli, name), file=sys.stderr)
        return 1
    finally:
        run(cli, "rm", "-f", name, check=False)
    say("all checks passed; container removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
