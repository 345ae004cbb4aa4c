"""Settings come from the environment, once, with documented defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.config import Settings, SettingsError


def test_defaults():
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.engine == "auto" and settings.languages == ("fr", "en")
    assert settings.redis_url is None
    assert settings.max_text_chars == 200_000 and settings.max_batch_documents == 32
    assert settings.preload_models is True and settings.worker_max_documents == 2000
    assert settings.polarity_model == "auto" and settings.polarity_bf16 is True
    assert settings.polarity_weights == (
        Path(__file__).resolve().parents[1]
        / "service/engines/polarity/weights/polarity.safetensors"
    )


def test_environment_overrides():
    settings = Settings.from_env(
        {
            "PORT": "9000",
            "SERVICE_ENGINE": "Stanza",
            "SERVICE_LANGUAGES": " en, FR ,en",
            "REDIS_URL": "rediss://:secret@cache:6380/2",
            "STANZA_RESOURCES_DIR": "/models/stanza",
            "MAX_BATCH_DOCUMENTS": "8",
            "PRELOAD_MODELS": "False",
            "WORKER_MAX_DOCUMENTS": "0",
            "POLARITY_MODEL": " OFF ",
            "POLARITY_WEIGHTS": "/models/polarity.safetensors",
            "POLARITY_BF16": "no",
        }
    )
    assert settings.port == 9000 and settings.engine == "stanza"
    assert settings.languages == ("en", "fr")
    assert settings.redis_url == "rediss://:secret@cache:6380/2"
    assert settings.stanza_resources_dir == Path("/models/stanza")
    assert settings.max_batch_documents == 8
    assert settings.preload_models is False and settings.worker_max_documents == 0
    assert settings.polarity_model == "off" and settings.polarity_bf16 is False
    assert settings.polarity_weights == Path("/models/polarity.safetensors")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("SERVICE_ENGINE", "nltk"),
        ("MAX_TEXT_CHARS", "0"),
        ("REDIS_TIMEOUT_SECONDS", "-1"),
        ("PRELOAD_MODELS", "sometimes"),
        ("WORKER_MAX_DOCUMENTS", "-5"),
        ("POLARITY_MODEL", "maybe"),
        ("POLARITY_BF16", "half"),
    ],
)
def test_bad_values_are_refused_with_the_variable_name(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
