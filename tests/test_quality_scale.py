"""quality_scale.yaml against the rules of Home Assistant's integration quality scale.

hassfest validates this file for core integrations only (script/hassfest/quality_scale.py,
``validate_iqs_file`` returns early when ``not integration.core``), so this test does its part:
the file lists exactly the rules of the pinned scale, each value has the shape hassfest's
``SCHEMA`` accepts, and every rule not ``done`` says why.
"""

from __future__ import annotations

import re
from typing import Any

from homeassistant.util.yaml import load_yaml_dict
import pytest

from tests.support.upsd import REPO_ROOT

QUALITY_SCALE = REPO_ROOT / "custom_components" / "nut_ups" / "quality_scale.yaml"
README = REPO_ROOT / "README.md"

SOURCE = (
    "home-assistant/core, script/hassfest/quality_scale.py, ALL_RULES at commit "
    "008538e822535b1d6155c91f6642127afa184ed1: the scale with docs-conditions and docs-triggers "
    "in Bronze (developers.home-assistant PR #3205, 2026-06-22), as Home Assistant 2026.11 has it"
)
"""Where RULES comes from. The script is not shipped in the homeassistant wheel."""

RULES: dict[str, tuple[str, ...]] = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
ALL_RULES = [rule for tier in RULES.values() for rule in tier]


def rules() -> dict[str, Any]:
    """The ``rules`` mapping of quality_scale.yaml."""
    data = load_yaml_dict(str(QUALITY_SCALE))
    assert set(data) == {"rules"}, "hassfest's SCHEMA: one top-level key, rules"
    found = data["rules"]
    assert isinstance(found, dict)
    return found


def status(value: Any) -> str:
    """The status of a rule's value: the value itself, or its ``status``."""
    return str(value["status"] if isinstance(value, dict) else value)


def reached_tier() -> str | None:
    """The highest tier whose rules, and all lower tiers' rules, are done or exempt."""
    found = rules()
    reached = None
    for tier, names in RULES.items():
        if any(status(found[name]) == "todo" for name in names):
            break
        reached = tier
    return reached


def test_the_pinned_list_is_the_scale_of_2026() -> None:
    """54 rules, none twice; the 2026 Bronze additions are in."""
    assert len(ALL_RULES) == len(set(ALL_RULES)) == 54, SOURCE
    assert {"docs-conditions", "docs-triggers"} <= set(RULES["bronze"])


def test_lists_exactly_the_rules_of_the_pinned_scale() -> None:
    found = rules()
    assert sorted(set(found) - set(ALL_RULES)) == [], f"not rules of the scale ({SOURCE})"
    assert sorted(set(ALL_RULES) - set(found)) == [], f"rules missing ({SOURCE})"


def test_no_rule_twice() -> None:
    """YAML keeps the last of duplicate keys silently: count them in the text."""
    keys = re.findall(
        r"^  ([a-z][a-z-]*):", QUALITY_SCALE.read_text(encoding="utf-8"), re.MULTILINE
    )
    assert sorted(keys) == sorted(ALL_RULES)


def test_rules_in_the_order_of_the_scale() -> None:
    assert list(rules()) == ALL_RULES


@pytest.mark.parametrize("rule", ALL_RULES)
def test_value_has_the_shape_hassfest_accepts(rule: str) -> None:
    """hassfest's SCHEMA: ``todo``/``done``, or {status: todo|done, comment}, or
    {status: exempt, comment}: an exempt rule always has a comment."""
    value = rules()[rule]
    if isinstance(value, str):
        assert value in {"todo", "done"}, f"{rule}: {value!r}"
        return
    assert isinstance(value, dict) and set(value) == {"status", "comment"}, rule
    assert value["status"] in {"todo", "done", "exempt"}, rule
    assert isinstance(value["comment"], str) and value["comment"].strip(), rule


@pytest.mark.parametrize("rule", ALL_RULES)
def test_a_rule_not_done_says_why(rule: str) -> None:
    """Stricter than hassfest: a ``todo`` needs a comment too, so none is left unexplained."""
    value = rules()[rule]
    if status(value) != "done":
        assert isinstance(value, dict) and value["comment"].strip(), rule


def test_readme_states_the_tier_reached() -> None:
    """The README's "reaches the **Tier** tier" sentence, once written, matches this file."""
    stated = re.findall(r"reaches the \*\*(\w+)\*\* tier", README.read_text(encoding="utf-8"))
    if not stated:
        pytest.skip("the README does not state a quality scale tier yet")
    reached = reached_tier()
    assert [tier.lower() for tier in stated] == [reached or "none"] * len(stated)
