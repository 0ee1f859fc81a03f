"""What the repository promises a user: the minimum Home Assistant, the options, the icons.

The minimum version is written twice, in hacs.json (HACS refuses older installs) and in README.md
(what people read); both must name the same release, and that release must be the oldest that
offers what the code imports. Facts from Home Assistant's published packages (``Requires-Python``
and ``Requires-Dist`` of each release on PyPI, and the files in its wheel):

- 2026.3.0 is the first release for Python 3.14 (``Requires-Python >=3.14.2``).
- 2026.9.0 is the first release that depends on ``probatio`` (2026.8.x still ships voluptuous),
  which the config flow imports.
- 2026.10.0 is the first release with ``homeassistant/components/binary_sensor/const.py``
  (2026.9.4 has none); ``BinarySensorDeviceClass`` is importable from
  ``homeassistant.components.binary_sensor`` in every release.

Checked by running the whole suite against those releases (pytest-homeassistant-custom-component
0.13.363 = 2026.9.0 and 0.13.371 = 2026.10.0): on 2026.9.0 the import of ``binary_sensor.const``
fails, and nothing else does; on 2026.10.0 everything passes.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re

from homeassistant.const import __version__ as installed_version
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import NumberSelector
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nut_ups.const import DOMAIN

REPO_ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = REPO_ROOT / "custom_components" / "nut_ups"

# The first Home Assistant release that provides a module the integration imports, where that is
# newer than the first release on Python 3.14.
FIRST_RELEASE_WITH_MODULE = {
    "probatio": "2026.9.0",
    "homeassistant.components.binary_sensor.const": "2026.10.0",
}
FIRST_RELEASE_ON_PYTHON_3_14 = "2026.3.0"

README_PROMISE = re.compile(r"Requires Home Assistant (\d{4}\.\d{1,2}\.\d+) or newer\.")


def version(text: str) -> tuple[int, ...]:
    """``"2026.9.0"`` → ``(2026, 9, 0)``."""
    return tuple(int(part) for part in text.split("."))


def hacs_minimum() -> str:
    return str(json.loads((REPO_ROOT / "hacs.json").read_text())["homeassistant"])


def readme_minimum() -> str:
    found = README_PROMISE.findall((REPO_ROOT / "README.md").read_text())
    assert len(found) == 1, (
        f"README.md must say 'Requires Home Assistant X.Y.Z or newer.' once: {found}"
    )
    return str(found[0])


def imported_modules() -> set[str]:
    """Every absolute module the integration imports (``probatio``, ``homeassistant.const``…)."""
    modules: set[str] = set()
    for path in INTEGRATION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
    return modules


def test_hacs_and_readme_promise_the_same_minimum() -> None:
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", hacs_minimum()), "HACS wants a full X.Y.Z"
    assert readme_minimum() == hacs_minimum()


def test_minimum_offers_what_the_code_imports() -> None:
    needed = [FIRST_RELEASE_ON_PYTHON_3_14]
    needed += [
        release
        for module, release in FIRST_RELEASE_WITH_MODULE.items()
        if module in imported_modules()
    ]
    assert version(hacs_minimum()) == max(map(version, needed)), (
        f"the code needs Home Assistant {max(needed, key=version)}; hacs.json says {hacs_minimum()}"
    )


def test_suite_runs_on_a_release_the_promise_covers() -> None:
    assert version(installed_version) >= version(hacs_minimum())


def test_state_icons_differ_from_the_default() -> None:
    """A state icon equal to the entity's default icon adds nothing (Home Assistant's review)."""
    icons = json.loads((INTEGRATION / "icons.json").read_text())
    repeated = [
        f"{platform}.{key}.{state}"
        for platform, entities in icons["entity"].items()
        for key, entry in entities.items()
        for state, icon in entry.get("state", {}).items()
        if icon == entry.get("default")
    ]
    assert repeated == []


OPTION_ROW = re.compile(
    r"^\| [^|]*\(`(?P<key>\w+)`\) \| (?P<min>[\d.]+)\u2013(?P<max>[\d.]+)(?P<unit>| s| years| %| days) "
    r"\(steps of (?P<step>[\d.]+)(?:(?P=unit)| day)\) \| (?P<default>[\d.]+)(?P=unit) \|",
    re.MULTILINE,
)


async def test_readme_lists_every_polling_option_with_its_range_and_default(
    hass: HomeAssistant,
) -> None:
    """README's Options table against the options form Home Assistant shows."""
    entry = MockConfigEntry(
        domain=DOMAIN, data={"host": "127.0.0.1", "port": 3493, "ups": "test"}, title="test"
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    shown: dict[str, tuple[object, ...]] = {}
    for marker, selector in schema.schema.items():
        if isinstance(selector, NumberSelector):
            config = selector.config
            shown[str(marker)] = (config["min"], config["max"], config["step"], marker.default())
    documented = {
        row["key"]: tuple(float(row[part]) for part in ("min", "max", "step", "default"))
        for row in OPTION_ROW.finditer((REPO_ROOT / "README.md").read_text())
    }
    assert {"status_interval", "scan_interval", "battery_age", "peukert_exponent"} <= set(shown)
    assert documented == shown
