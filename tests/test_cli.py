"""``python -m service``: enrich a file without a server, and report models."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ARTICLES, EMPTY_STANZA, ROOT


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STANZA_RESOURCES_DIR": str(EMPTY_STANZA)}
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("language", "person"), [("fr", "Hélène Marchetti"), ("en", "Claire Whitfield")]
)
def test_enrich_a_file_prints_the_answer(language, person):
    """The README's CLI example, on the project's own sample articles."""
    result = _run("enrich", str(ARTICLES[language]))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["language"] == language
    assert person in {a["name"] for a in body["actors"]}
    text = ARTICLES[language].read_text(encoding="utf-8")
    for entity in body["entities"]:
        assert text[entity["start"] : entity["end"]] == entity["text"]


def test_enrich_stdin_with_options():
    result = _run(
        "enrich",
        "-",
        "--language",
        "en",
        "--include",
        "entities",
        stdin="Joe Biden spoke with Olaf Scholz in Berlin.",
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert {e["text"] for e in body["entities"]} >= {"Joe Biden", "Olaf Scholz", "Berlin"}
    assert "actors" not in body


def test_enrich_unsupported_language_says_how_to_install():
    result = _run("enrich", "-", "--language", "de", stdin="Guten Tag, Berlin.")
    assert result.returncode == 2
    assert "python -m service models download de" in result.stderr


def test_models_lists_what_is_installed_and_what_is_missing():
    result = _run("models", "list", "fr", "en", "de")
    assert result.returncode == 1, "de has no engine"
    out = result.stdout
    assert "[fr]" in out and "spacy:  installed (fr_core_news_sm)" in out
    assert "stanza: not installed; get it with: python -m service models download fr" in out
    assert "[de]" in out and "served: NO" in out


def test_models_download_fails_clearly_without_internet(tmp_path):
    env = {**os.environ, "STANZA_RESOURCES_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "service", "models", "download", "fr"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode == 0:  # a machine with internet: the models really arrived
        assert (tmp_path / "resources.json").is_file()
        return
    assert "could not download: fr" in result.stderr
    assert "copy a STANZA_RESOURCES_DIR" in result.stderr


def test_enrich_detects_among_the_served_languages_like_the_api():
    # py3langid alone guesses Finnish for this; the API and the CLI pick English.
    result = _run("enrich", "-", stdin="Joe Biden spoke.")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["language"] == "en"


def test_enrich_a_missing_file_is_one_line_not_a_traceback():
    result = _run("enrich", "/nonexistent/article.txt")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: cannot read /nonexistent/article.txt: No such file or directory"
    )


def test_enrich_an_unknown_section_is_a_usage_error():
    result = _run("enrich", "-", "--include", "entities,bogus", stdin="Joe Biden spoke.")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "unknown section(s) 'bogus'; choose from actors," in result.stderr
