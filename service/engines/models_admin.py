"""What ``python -m service models`` prints and downloads."""

from __future__ import annotations

import sys

from service.config import Settings
from service.engines.catalog import (
    installed_spacy_package,
    spacy_install_hint,
    stanza_available,
    stanza_install_hint,
    stanza_missing_files,
    stanza_processors,
)


def report(settings: Settings, languages: list[str]) -> int:
    """Print, per language, which engine would serve it and how to install what is missing.
    Exit status 0 when every language has at least one engine."""
    resources = settings.stanza_resources_dir
    print(f"SERVICE_ENGINE={settings.engine}  STANZA_RESOURCES_DIR={resources}")
    all_served = True
    for language in languages:
        processors = stanza_processors(resources, language)
        stanza_ok = stanza_available(resources, language)
        spacy = installed_spacy_package(language)
        print(f"\n[{language}]")
        if stanza_ok and processors:
            packages = ", ".join(f"{k}={v}" for k, v in processors.items())
            print(f"  stanza: installed ({packages})")
        else:
            missing = stanza_missing_files(resources, language) if processors else []
            what = f"{len(missing)} model file(s) missing" if missing else "not installed"
            print(f"  stanza: {what}; get it with: {stanza_install_hint(language)}")
        if spacy:
            print(f"  spacy:  installed ({spacy.package})")
        else:
            print(f"  spacy:  not installed; get it with: {spacy_install_hint(language)}")
        served = (stanza_ok and settings.engine != "spacy") or (
            spacy is not None and settings.engine != "stanza"
        )
        all_served &= served
        print(f"  served: {'yes' if served else 'NO'}")
    return 0 if all_served else 1


def download(settings: Settings, languages: list[str]) -> int:
    """Fetch Stanza's default models for ``languages`` into STANZA_RESOURCES_DIR.

    Needs access to Stanza's model hub; run it where there is internet (the Dockerfile does
    it at build time), then copy the directory to offline machines.
    """
    import stanza

    target = settings.stanza_resources_dir
    failed = []
    for language in languages:
        print(f"downloading Stanza models for {language} into {target} ...", flush=True)
        try:
            stanza.download(language, model_dir=str(target), package="default")
        except Exception as exc:  # network, hub and unknown-language errors all land here
            print(f"error: {language}: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed.append(language)
    if failed:
        print(
            f"could not download: {', '.join(failed)}. This needs internet access to Stanza's "
            "model hub; on an offline machine, copy a STANZA_RESOURCES_DIR made elsewhere "
            "(see README, 'Stanza models').",
            file=sys.stderr,
        )
        return 1
    return 0
