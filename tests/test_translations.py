"""Every shipped translation against ``translations/en.json``, the source of truth.

A translation must have en.json's keys and no others, a non-empty string wherever en.json has
one, the same ``{placeholders}`` in each string, and no sentence left in English.
"""

from __future__ import annotations

import json
from pathlib import Path
import re

import pytest

TRANSLATIONS = Path(__file__).parent.parent / "custom_components" / "nut_ups" / "translations"
LANGUAGES = {"de", "fr", "nl", "es", "it", "pl", "pt-BR", "sv"}
"""Languages nut_ups ships besides English."""

ALLOWED_UNCHANGED: frozenset[str] = frozenset()
"""English strings of more than two words that a translation may keep word for word.

For text that is the same in every language, such as a string of NUT names only. None of
en.json's strings is like that today.
"""

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _leaves(tree: object, path: str = "") -> dict[str, object]:
    """A JSON tree's leaves by dotted path: a non-empty dict is a branch, all else a leaf."""
    if not isinstance(tree, dict) or not tree:
        return {path: tree}
    leaves: dict[str, object] = {}
    for key, value in tree.items():
        leaves |= _leaves(value, f"{path}.{key}" if path else str(key))
    return leaves


def _load(name: str) -> dict[str, object]:
    """The leaves of ``translations/<name>``."""
    return _leaves(json.loads((TRANSLATIONS / name).read_text(encoding="utf-8")))


def _placeholders(text: str) -> list[str]:
    """The ``{name}`` placeholders in ``text``, sorted, each once."""
    return sorted(set(PLACEHOLDER.findall(text)))


def _looks_untranslated(english: str, text: str) -> bool:
    """Whether ``text`` is an English string of more than two words, copied unchanged."""
    words = PLACEHOLDER.sub("", english).split()
    return text == english and len(words) > 2 and english not in ALLOWED_UNCHANGED


def _problems(english: dict[str, object], translated: dict[str, object]) -> list[str]:
    """What is wrong in ``translated`` compared with ``english``, one line per problem."""
    problems = [f"missing: {path}" for path in english if path not in translated]
    problems += [f"extra: {path}" for path in translated if path not in english]
    for path, source in english.items():
        if path not in translated or not isinstance(source, str):
            continue
        text = translated[path]
        if not isinstance(text, str):
            problems.append(f"not a string: {path} = {text!r}")
        elif not text.strip():
            problems.append(f"empty: {path}")
        elif (found := _placeholders(text)) != (wanted := _placeholders(source)):
            problems.append(f"placeholders: {path} has {found}, en.json has {wanted}")
        elif _looks_untranslated(source, text):
            problems.append(f"still English: {path} = {text!r}")
    return problems


def test_all_languages_are_shipped() -> None:
    """The eight languages and English, no fewer and no others."""
    shipped = {path.stem for path in TRANSLATIONS.glob("*.json")}
    assert shipped == LANGUAGES | {"en"}


@pytest.mark.parametrize(
    "name", sorted(path.name for path in TRANSLATIONS.glob("*.json") if path.name != "en.json")
)
def test_translation_matches_english(name: str) -> None:
    """Same keys as en.json, every string translated with the same placeholders."""
    problems = _problems(_load("en.json"), _load(name))
    assert not problems, f"{name}:\n" + "\n".join(problems)
