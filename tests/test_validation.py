"""Offline versions of the checks hassfest and HACS' validation action make, and a little more.

- ``manifest.json``: hassfest's custom-integration schema (script/hassfest/manifest.py of
  home-assistant/core: ``CUSTOM_INTEGRATION_MANIFEST_SCHEMA``, key order "domain, name, then
  alphabetical", ``version`` required and AwesomeVersion-valid) and the keys HACS requires of an
  integration (hacs/integration custom_components/hacs/utils/validate.py,
  ``INTEGRATION_MANIFEST_JSON_SCHEMA``).
- ``hacs.json``: HACS' ``HACS_MANIFEST_JSON_SCHEMA`` (same file; extra keys refused), and the
  repository layout HACS expects (one integration, ``brand/icon.png``, a LICENSE).
- ``translations/en.json``: every translation key the code uses exists, and nothing in it is
  unused. The keys in use are read from the code itself: entity descriptions by importing the
  platforms; every ``translation_key=`` (exceptions, repair issues, selectors, entities), step ID,
  error, abort reason and form field by parsing the source with ``ast`` and resolving the values
  (string literals, module constants, enum members, loop variables over module tuples, enum-typed
  parameters, arguments at every call site of a wrapper). A use the resolver cannot follow fails
  the test: extend the resolver rather than guess.
- ``icons.json``: keys match entity translation keys, state keys are states the entity has, and
  every action has its icon.
- ``services.yaml``: the registered actions with exactly their schemas' fields, translated.

``quality_scale.yaml`` is checked by tests/test_quality_scale.py, translations other than English
by tests/test_translations.py.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterable, Iterator, Mapping
import contextlib
from dataclasses import dataclass
import enum
from functools import cache
import importlib
import importlib.util
import inspect
import json
from pathlib import Path
import re
import textwrap
from types import ModuleType
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.const import Platform
from homeassistant.data_entry_flow import section
from homeassistant.helpers.entity import EntityDescription
from homeassistant.util.yaml import load_yaml_dict
import pytest

# Imported before any test runs: once Home Assistant's test fixtures mount their own
# custom_components folder, "custom_components" would name that one.
from custom_components.nut_ups import const
from tests.support.upsd import REPO_ROOT

INTEGRATION = REPO_ROOT / "custom_components" / "nut_ups"
PACKAGE = "custom_components.nut_ups"


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


MANIFEST: dict[str, Any] = _json(INTEGRATION / "manifest.json")
HACS: dict[str, Any] = _json(REPO_ROOT / "hacs.json")
EN: dict[str, Any] = _json(INTEGRATION / "translations" / "en.json")
ICONS: dict[str, Any] = _json(INTEGRATION / "icons.json")

# -- manifest.json -------------------------------------------------------------------------------
# hassfest's INTEGRATION_MANIFEST_SCHEMA keys, extended for custom integrations with version and
# import_executor (CUSTOM_INTEGRATION_MANIFEST_SCHEMA).
MANIFEST_KEYS = {
    "domain": str,
    "name": str,
    "integration_type": str,
    "config_flow": bool,
    "mqtt": list,
    "zeroconf": list,
    "ssdp": list,
    "bluetooth": list,
    "homekit": dict,
    "dhcp": list,
    "usb": list,
    "documentation": str,
    "issue_tracker": str,
    "quality_scale": str,
    "requirements": list,
    "dependencies": list,
    "after_dependencies": list,
    "codeowners": list,
    "loggers": list,
    "disabled": str,
    "iot_class": str,
    "single_config_entry": bool,
    "version": str,
    "import_executor": bool,
}
HASSFEST_REQUIRED = {"domain", "name", "documentation", "codeowners", "version"}
HACS_REQUIRED = {"codeowners", "documentation", "domain", "issue_tracker", "name", "version"}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]
CODEOWNER = re.compile(r"^@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9._-]+)?$")
ZEROCONF_TYPE = re.compile(r"^_[a-z0-9-]+\._(?:tcp|udp)\.local\.$")


def test_manifest_keys_are_known_and_typed() -> None:
    unknown = set(MANIFEST) - set(MANIFEST_KEYS)
    assert not unknown, f"keys hassfest refuses for a custom integration: {unknown}"
    missing = (HASSFEST_REQUIRED | HACS_REQUIRED) - set(MANIFEST)
    assert not missing, f"required by hassfest or HACS: {missing}"
    for key, value in MANIFEST.items():
        assert isinstance(value, MANIFEST_KEYS[key]), f"{key} is not a {MANIFEST_KEYS[key]}"
        if isinstance(value, list) and key in {"requirements", "codeowners", "loggers", "mqtt"}:
            assert all(isinstance(item, str) for item in value), key


def test_manifest_key_order() -> None:
    """hassfest's sort_manifest: domain, name, then alphabetical order."""
    keys = list(MANIFEST)
    assert keys == sorted(
        keys, key=lambda key: {"domain": ".domain", "name": ".name"}.get(key, key)
    )


def test_manifest_values() -> None:
    assert MANIFEST["domain"] == INTEGRATION.name == const.DOMAIN
    assert AwesomeVersion(MANIFEST["version"], ensure_strategy=VERSION_STRATEGIES).valid
    assert MANIFEST.get("integration_type", "hub") in INTEGRATION_TYPES
    assert MANIFEST["iot_class"] in IOT_CLASSES
    assert MANIFEST["codeowners"], "HACS and the quality scale want a code owner"
    for owner in MANIFEST["codeowners"]:
        assert CODEOWNER.match(owner), f"not a GitHub user or team: {owner!r}"
    for key in ("documentation", "issue_tracker"):
        assert MANIFEST[key].startswith("https://"), f"{key} is not an https URL"
    assert importlib.util.find_spec(f"homeassistant.components.{MANIFEST['domain']}") is None, (
        "the domain collides with a core integration"
    )


def test_manifest_requirements_and_loggers() -> None:
    for requirement in MANIFEST.get("requirements", []):
        assert re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[a-z0-9,_-]+\])?==\S+$", requirement), (
            f"requirements are pinned with ==: {requirement!r}"
        )
    loggers = MANIFEST.get("loggers")
    if loggers is not None:
        assert loggers, "an empty loggers list says nothing: leave the key out"
        assert len(set(loggers)) == len(loggers), "duplicate loggers"
        for logger in loggers:
            assert re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$", logger), logger


def test_manifest_config_flow_and_discovery_agree_with_the_code() -> None:
    """hassfest's config_flow check: the flag and each discovery key need the matching code."""
    flow_file = INTEGRATION / "config_flow.py"
    assert MANIFEST.get("config_flow", False) == flow_file.exists()
    steps = set()
    if flow_file.exists():
        tree = ast.parse(flow_file.read_text(encoding="utf-8"))
        steps = {
            node.name.removeprefix("async_step_")
            for node in ast.walk(tree)
            if isinstance(node, ast.AsyncFunctionDef) and node.name.startswith("async_step_")
        }
    for discovery in ("zeroconf", "ssdp", "dhcp", "usb", "bluetooth", "homekit", "mqtt"):
        assert (discovery in MANIFEST) == (discovery in steps), (
            f"manifest {discovery!r} and async_step_{discovery} go together"
        )
    for entry in MANIFEST.get("zeroconf", []):
        service = entry if isinstance(entry, str) else entry["type"]
        assert ZEROCONF_TYPE.match(service), f"not a zeroconf service type: {service!r}"


# -- hacs.json and the repository ----------------------------------------------------------------
HACS_KEYS: dict[str, type | tuple[type, ...]] = {
    "content_in_root": bool,
    "country": (str, list),
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "persistent_directory": str,
    "render_readme": bool,
    "zip_release": bool,
    "name": str,
}


def test_hacs_json() -> None:
    unknown = set(HACS) - set(HACS_KEYS)
    assert not unknown, f"HACS refuses extra keys: {unknown}"
    assert "name" in HACS
    for key, value in HACS.items():
        assert isinstance(value, HACS_KEYS[key]), f"{key} is not a {HACS_KEYS[key]}"
    if "homeassistant" in HACS:
        assert AwesomeVersion(HACS["homeassistant"]).valid
    countries = HACS.get("country", [])
    for country in [countries] if isinstance(countries, str) else countries:
        assert re.match(r"^[A-Z]{2}$", country.upper()), country
    if HACS.get("zip_release"):
        assert HACS.get("filename"), "zip_release needs filename"
    assert not HACS.get("content_in_root"), "the integration lives in custom_components/"


def test_repository_layout_for_hacs() -> None:
    """One integration under custom_components/, brand/icon.png, a README and a LICENSE."""
    integrations = [path for path in (REPO_ROOT / "custom_components").iterdir() if path.is_dir()]
    assert [path.name for path in integrations if path.name != "__pycache__"] == [INTEGRATION.name]
    assert (INTEGRATION / "brand" / "icon.png").is_file()
    assert (REPO_ROOT / "README.md").is_file()
    assert (REPO_ROOT / "LICENSE").is_file()


# -- reading the code ----------------------------------------------------------------------------
class UnresolvedError(AssertionError):
    """The resolver cannot tell which strings an expression can be: extend it."""


@dataclass(frozen=True)
class Source:
    """One module of the integration: imported, and parsed with parent links."""

    path: Path
    module: ModuleType
    tree: ast.Module
    parents: Mapping[ast.AST, ast.AST]

    @property
    def stem(self) -> str:
        """Module file name without ``.py`` (the platform, for platform modules)."""
        return self.path.stem

    def where(self, node: ast.AST) -> str:
        """``file.py:line`` of ``node``."""
        return f"{self.path.relative_to(INTEGRATION)}:{getattr(node, 'lineno', '?')}"

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        """Enclosing nodes, innermost first."""
        while node in self.parents:
            node = self.parents[node]
            yield node


@cache
def sources() -> tuple[Source, ...]:
    """Every module of the integration."""
    found = []
    for path in sorted(INTEGRATION.rglob("*.py")):
        parts = path.relative_to(INTEGRATION).with_suffix("").parts
        name = ".".join((PACKAGE, *parts)).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        found.append(Source(path, importlib.import_module(name), tree, parents))
    return tuple(found)


def source(stem: str) -> Source:
    """The top-level module ``stem``.py."""
    return next(src for src in sources() if src.path == INTEGRATION / f"{stem}.py")


def call_name(call: ast.Call) -> str:
    """``f`` of ``f(...)``, ``obj.f(...)`` or ``a.b.f(...)``."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    """The value of keyword argument ``name``, or None."""
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _chain(node: ast.AST) -> bool:
    """A name, or attributes and subscripts of one (``a``, ``a.b``, ``a.b[0]``)."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Constant):
            return False
        node = node.value
    return isinstance(node, ast.Name)


def _root(node: ast.AST) -> str:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    assert isinstance(node, ast.Name)
    return node.id


def _evaluate(src: Source, node: ast.expr, names: Mapping[str, Any] | None = None) -> Any:
    """Evaluate a name chain in the module's namespace (plus ``names``)."""
    code = compile(ast.Expression(node), src.where(node), "eval")
    return eval(code, vars(src.module), dict(names or {}))


def _text(value: Any) -> str | None:
    """A translation key from a runtime value: a str, or the value of a str enum member."""
    if isinstance(value, enum.Enum):
        value = value.value
    return value if isinstance(value, str) else None


def _function(src: Source, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    return next(
        (n for n in src.ancestors(node) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)),
        None,
    )


def _params(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    return [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]


def _bind(target: ast.expr, value: Any) -> dict[str, Any]:
    """Names bound by ``for target in ...`` for one element."""
    if isinstance(target, ast.Name):
        return {target.id: value}
    if isinstance(target, ast.Tuple | ast.List):
        bound: dict[str, Any] = {}
        for element, item in zip(target.elts, value, strict=True):
            bound |= _bind(element, item)
        return bound
    raise UnresolvedError(f"cannot unpack into {ast.unparse(target)}")


def _binds(target: ast.expr, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target))


def call_sites(
    func: ast.FunctionDef | ast.AsyncFunctionDef,
) -> Iterator[tuple[Source, ast.Call]]:
    """Every call of ``func`` by name (``f(...)``, ``self.f(...)``) in the integration."""
    for src in sources():
        for node in ast.walk(src.tree):
            if isinstance(node, ast.Call) and call_name(node) == func.name:
                yield src, node


def argument(
    func: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call, name: str
) -> ast.expr | None:
    """The expression passed for parameter ``name`` at ``call`` (or its default)."""
    positional = [*func.args.posonlyargs, *func.args.args]
    if positional and positional[0].arg in {"self", "cls"} and isinstance(call.func, ast.Attribute):
        positional = positional[1:]
    names = [arg.arg for arg in positional]
    if name in names:
        index = names.index(name)
        if index < len(call.args) and not isinstance(call.args[index], ast.Starred):
            return call.args[index]
    if (value := keyword(call, name)) is not None:
        return value
    defaults = dict(
        zip(
            [arg.arg for arg in positional][len(positional) - len(func.args.defaults) :],
            func.args.defaults,
            strict=True,
        )
    )
    kw_defaults = {
        arg.arg: default
        for arg, default in zip(func.args.kwonlyargs, func.args.kw_defaults, strict=True)
        if default is not None
    }
    return defaults.get(name, kw_defaults.get(name))


def strings(src: Source, node: ast.expr, depth: int = 0) -> set[str]:
    """Every string ``node`` can evaluate to, or UnresolvedError."""
    if depth > 6:
        raise UnresolvedError(f"{src.where(node)}: {ast.unparse(node)} nests too deep")
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return strings(src, node.body, depth + 1) | strings(src, node.orelse, depth + 1)
    if _chain(node):
        root = _root(node)
        # A loop variable (for statements and comprehensions over a module-level iterable).
        for scope in src.ancestors(node):
            loops: list[tuple[ast.expr, ast.expr]] = []
            if isinstance(scope, ast.For | ast.AsyncFor) and node not in ast.walk(scope.iter):
                loops.append((scope.target, scope.iter))
            if isinstance(scope, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
                loops.extend((gen.target, gen.iter) for gen in scope.generators)
            for target, iterable in loops:
                if _binds(target, root):
                    if not _chain(iterable):
                        raise UnresolvedError(f"{src.where(node)}: loop over a computed value")
                    values = [
                        _text(_evaluate(src, node, _bind(target, item)))
                        for item in _evaluate(src, iterable)
                    ]
                    if any(value is None for value in values):
                        raise UnresolvedError(f"{src.where(node)}: {ast.unparse(node)} not a str")
                    return {value for value in values if value is not None}
        func = _function(src, node)
        if func is not None and isinstance(node, ast.Name):
            params = {arg.arg: arg for arg in _params(func)}
            if root in params:
                return _parameter_strings(src, func, params[root], depth)
            assigned = [
                stmt.value
                for stmt in ast.walk(func)
                if isinstance(stmt, ast.Assign | ast.AnnAssign)
                and stmt.value is not None
                and any(
                    isinstance(t, ast.Name) and t.id == root
                    for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
                )
            ]
            if assigned:
                return set().union(*(strings(src, value, depth + 1) for value in assigned))
        try:
            value = _text(_evaluate(src, node))
        except NameError, AttributeError, KeyError, IndexError, TypeError:
            value = None
        if value is not None:
            return {value}
    raise UnresolvedError(f"{src.where(node)}: cannot tell which strings {ast.unparse(node)} is")


def _parameter_strings(
    src: Source, func: ast.FunctionDef | ast.AsyncFunctionDef, param: ast.arg, depth: int
) -> set[str]:
    """A parameter typed as a str enum is any of its values; otherwise what callers pass."""
    if param.annotation is not None:
        try:
            annotation = _evaluate(src, param.annotation)
        except NameError, AttributeError:
            annotation = None
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            values = {_text(member) for member in annotation}
            if None not in values:
                return {value for value in values if value is not None}
    found: set[str] = set()
    sites = 0
    for site_src, call in call_sites(func):
        if (passed := argument(func, call, param.arg)) is not None:
            sites += 1
            found |= strings(site_src, passed, depth + 1)
    if not sites:
        raise UnresolvedError(f"{src.where(func)}: nobody passes {func.name}({param.arg}=...)")
    return found


def dict_keys(src: Source, node: ast.expr | None, depth: int = 0) -> frozenset[str] | None:
    """The keys a dict expression surely has (``**`` spreads not counted), or None if unknown."""
    if node is None:
        return frozenset()
    if depth > 4:
        return None
    if isinstance(node, ast.Dict):
        return frozenset(
            key.value
            for key in node.keys
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        )
    func = _function(src, node)
    if isinstance(node, ast.Name) and func is not None:
        assigned = [
            stmt.value
            for stmt in ast.walk(func)
            if isinstance(stmt, ast.Assign | ast.AnnAssign)
            and stmt.value is not None
            and any(
                isinstance(t, ast.Name) and t.id == node.id
                for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
            )
        ]
        found = [dict_keys(src, value, depth + 1) for value in assigned]
        if found and None not in found:
            return frozenset.intersection(*(keys for keys in found if keys is not None))
        return None
    if isinstance(node, ast.Call):
        name = call_name(node)
        defs = [
            n
            for n in ast.walk(src.tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
        ]
        returns = [ret.value for d in defs for ret in ast.walk(d) if isinstance(ret, ast.Return)]
        found = [dict_keys(src, value, depth + 1) for value in returns if value is not None]
        if found and None not in found:
            return frozenset.intersection(*(keys for keys in found if keys is not None))
    return None


@dataclass(frozen=True)
class Use:
    """A translation key used in code, and the placeholders given with it (None: unknown)."""

    key: str
    where: str
    placeholders: frozenset[str] | None = None


def _uses(src: Source, call: ast.Call, key_node: ast.expr, placeholders_kw: str) -> list[Use]:
    """The keys ``key_node`` can be, each with the placeholders passed alongside it.

    A wrapper such as ``def _failed(key, **placeholders): return UpdateFailed(
    translation_key=key, translation_placeholders=placeholders)`` is followed to its callers,
    whose keyword arguments are the placeholders.
    """
    given = keyword(call, placeholders_kw)
    func = _function(src, call)
    if (
        func is not None
        and isinstance(key_node, ast.Name)
        and key_node.id in {arg.arg for arg in _params(func)}
        and isinstance(given, ast.Name)
        and func.args.kwarg is not None
        and given.id == func.args.kwarg.arg
    ):
        named = {arg.arg for arg in _params(func)}
        uses = []
        for site_src, site in call_sites(func):
            passed = argument(func, site, key_node.id)
            if passed is None:
                continue
            spread = any(kw.arg is None for kw in site.keywords)
            extra = frozenset(kw.arg for kw in site.keywords if kw.arg and kw.arg not in named)
            uses += [
                Use(key, site_src.where(site), None if spread else extra)
                for key in strings(site_src, passed)
            ]
        return uses
    known = dict_keys(src, given)
    return [Use(key, src.where(call), known) for key in strings(src, key_node)]


@cache
def translation_key_uses() -> dict[str, tuple[Use, ...]]:
    """Every ``translation_key=`` in the code, by kind: ``entity.<platform>``, ``exceptions``,
    ``issues``, ``selector``."""
    platforms = {platform.value for platform in Platform}
    found: dict[str, list[Use]] = {}
    for src in sources():
        for node in ast.walk(src.tree):
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    name = target.attr if isinstance(target, ast.Attribute) else None
                    name = target.id if isinstance(target, ast.Name) else name
                    if name == "_attr_translation_key" and node.value is not None:
                        assert src.stem in platforms, f"{src.where(node)}: not in a platform"
                        found.setdefault(f"entity.{src.stem}", []).extend(
                            Use(key, src.where(node)) for key in strings(src, node.value)
                        )
            if not isinstance(node, ast.Call) or (key := keyword(node, "translation_key")) is None:
                continue
            name = call_name(node)
            if name.endswith("EntityDescription"):
                assert src.stem in platforms, f"{src.where(node)}: description outside a platform"
                kind = f"entity.{src.stem}"
                uses = [Use(key_, src.where(node)) for key_ in strings(src, key)]
            elif name in {"async_create_issue", "create_issue"}:
                kind = "issues"
                uses = _uses(src, node, key, "translation_placeholders")
            elif name.endswith("SelectorConfig"):
                kind = "selector"
                uses = [Use(key_, src.where(node)) for key_ in strings(src, key)]
            elif keyword(node, "translation_domain") is not None:
                kind = "exceptions"
                uses = _uses(src, node, key, "translation_placeholders")
            else:
                raise UnresolvedError(f"{src.where(node)}: what kind of translation is {name}()?")
            found.setdefault(kind, []).extend(uses)
    return {kind: tuple(uses) for kind, uses in found.items()}


def entity_descriptions() -> dict[str, list[EntityDescription]]:
    """Entity descriptions defined at module level in each platform module, by platform."""
    found: dict[str, list[EntityDescription]] = {}
    for platform in Platform:
        if not (INTEGRATION / f"{platform.value}.py").exists():
            continue
        module = source(platform.value).module
        for value in vars(module).values():
            items: Iterable[Any] = [value]
            if isinstance(value, tuple | list):
                items = value
            elif isinstance(value, dict):
                items = value.values()
            found.setdefault(platform.value, []).extend(
                item for item in items if isinstance(item, EntityDescription)
            )
    return found


PLACEHOLDER = re.compile(r"\{(\w+)\}")
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9_-]+(?<![_-])$")
"""hassfest's translation_key_validator (script/hassfest/translations.py)."""


def placeholders(*texts: Any) -> set[str]:
    """Placeholder names in strings (nested dicts searched too)."""
    found: set[str] = set()
    for text in texts:
        if isinstance(text, dict):
            found |= placeholders(*text.values())
        elif isinstance(text, str):
            found |= set(PLACEHOLDER.findall(text))
    return found


# -- translations: structure ---------------------------------------------------------------------
CHECKED_SECTIONS = {"config", "options", "entity", "issues", "exceptions", "selector", "services"}


def test_en_json_holds_only_sections_this_test_checks() -> None:
    """A new section (services, device, …) must come with a check here."""
    assert set(EN) <= CHECKED_SECTIONS, set(EN) - CHECKED_SECTIONS


def _keys(tree: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, key) of every key under en.json's keyed sections (not form field names)."""
    if not isinstance(tree, dict):
        return
    for key, value in tree.items():
        here = f"{path}.{key}" if path else key
        if path.endswith((".data", ".data_description")):
            continue  # form field names come from the schemas
        yield here, key
        yield from _keys(value, here)


def test_translation_keys_are_valid_slugs() -> None:
    fixed = {"name", "state", "state_attributes", "title", "description", "message", "data"}
    fixed |= {"data_description", "step", "error", "abort", "sections", "fix_flow", "options"}
    fixed |= {"flow_title", "menu_options"}
    bad = [path for path, key in _keys(EN) if key not in fixed and not TRANSLATION_KEY.match(key)]
    assert not bad, f"hassfest wants [a-z0-9_-] keys: {bad}"


def test_no_html_in_strings() -> None:
    def texts(tree: Any) -> Iterator[str]:
        if isinstance(tree, dict):
            for value in tree.values():
                yield from texts(value)
        elif isinstance(tree, str):
            yield tree

    assert not [text for text in texts(EN) if re.search(r"</?[a-zA-Z][^>]*>", text)]


# -- translations: entities ----------------------------------------------------------------------
def _entity_keys_in_code() -> dict[str, set[str]]:
    keys = {
        platform: {d.translation_key for d in descriptions if d.translation_key}
        for platform, descriptions in entity_descriptions().items()
    }
    for kind, uses in translation_key_uses().items():
        if kind.startswith("entity."):
            keys.setdefault(kind.removeprefix("entity."), set()).update(u.key for u in uses)
    return {platform: found for platform, found in keys.items() if found}


def test_entity_translation_keys_match() -> None:
    in_code = _entity_keys_in_code()
    in_json = {platform: set(entries) for platform, entries in EN.get("entity", {}).items()}
    assert in_json == in_code


def test_entity_names_and_states() -> None:
    """Every translated entity has a name (or a device class to name it); enum sensors translate
    exactly their options; binary sensors only "on"/"off"."""
    for platform, descriptions in entity_descriptions().items():
        for description in descriptions:
            if not description.translation_key:
                continue
            entry = EN["entity"][platform][description.translation_key]
            assert "name" in entry or getattr(description, "device_class", None), entry
            states = set(entry.get("state", {}))
            options = getattr(description, "options", None)
            if platform == Platform.BINARY_SENSOR:
                assert states <= {"on", "off"}, (description.key, states)
            elif options is not None:
                assert states == {str(option) for option in options}, description.key
            else:
                assert not states, f"{description.key} has no options but translated states"


def _returned_keys(function: Callable[..., Any]) -> set[str]:
    """Keys of the dict literals ``function`` returns (read from its source)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    returns = [n.value for n in ast.walk(tree) if isinstance(n, ast.Return) and n.value]
    if not returns or not all(isinstance(value, ast.Dict) for value in returns):
        raise UnresolvedError(f"{function.__qualname__} does not return dict literals")
    return {
        key.value
        for value in returns
        if isinstance(value, ast.Dict)
        for key in value.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


def test_entity_state_attributes() -> None:
    """The attribute names an entity sets are the ones translated (from its attributes_fn)."""
    for platform, descriptions in entity_descriptions().items():
        for description in descriptions:
            if not description.translation_key:
                continue
            functions = [
                value
                for name, value in vars(description).items()
                if name.endswith("attributes_fn") and callable(value)
            ]
            attributes = set().union(*(_returned_keys(function) for function in functions))
            entry = EN["entity"][platform][description.translation_key]
            assert set(entry.get("state_attributes", {})) == attributes, description.key
            for name, translated in entry.get("state_attributes", {}).items():
                assert "name" in translated, (description.key, name)


# -- translations: exceptions, issues, selectors -------------------------------------------------
@pytest.mark.parametrize(("section", "text"), [("exceptions", "message"), ("issues", "title")])
def test_keys_and_placeholders(section: str, text: str) -> None:
    """Each key used exists, each one in en.json is used, and every placeholder its strings
    name is passed wherever it is used (where the code shows which ones it passes)."""
    uses = translation_key_uses().get(section, ())
    assert set(EN.get(section, {})) == {use.key for use in uses}
    for use in uses:
        entry = EN[section][use.key]
        assert text in entry, f"{section}.{use.key} has no {text}"
        if use.placeholders is not None:
            missing = placeholders(entry) - use.placeholders
            assert not missing, f"{use.where}: {section}.{use.key} needs {missing}"


def test_issues_have_a_description_or_a_fix_flow() -> None:
    for key, entry in EN.get("issues", {}).items():
        assert ("description" in entry) != ("fix_flow" in entry), key


def test_selector_translations() -> None:
    """SelectSelectorConfig(translation_key=...) and selector.<key>.options in en.json."""
    assert set(EN.get("selector", {})) == {
        u.key for u in translation_key_uses().get("selector", ())
    }


# -- actions: services.yaml, the registered actions and their translations ---------------------
def _registered_actions() -> dict[str, set[str]]:
    """Action name → field names, from the schemas services.py registers."""
    from custom_components.nut_ups import services

    found: dict[str, set[str]] = {}
    for name, value in vars(services).items():
        if name.startswith("SERVICE_"):
            schema = getattr(services, f"{name.removeprefix('SERVICE_')}_SCHEMA", None)
            if schema is None and name == "SERVICE_CANCEL_SHUTDOWN":
                schema = services.CANCEL_SCHEMA
            assert schema is not None, f"no schema for {name}"
            found[value] = {str(key) for key in schema.schema}
    return found


def test_services_yaml_matches_the_registered_actions() -> None:
    """Every registered action is in services.yaml with exactly its schema's fields."""
    yaml_actions = load_yaml_dict(str(INTEGRATION / "services.yaml"))
    registered = _registered_actions()
    assert set(yaml_actions) == set(registered)
    for action, fields in registered.items():
        assert set(yaml_actions[action]["fields"]) == fields, action


def test_services_are_translated() -> None:
    """Each action and field has a name and a description in en.json, and nothing more."""
    registered = _registered_actions()
    translated = EN.get("services", {})
    assert set(translated) == set(registered)
    for action, fields in registered.items():
        assert translated[action]["name"] and translated[action]["description"], action
        assert set(translated[action]["fields"]) == fields, action
        for field, text in translated[action]["fields"].items():
            assert text["name"] and text["description"], f"{action}.{field}"


# -- translations: config and options flows ------------------------------------------------------
@dataclass
class Form:
    """A form (or menu) a flow shows."""

    step: str
    where: str
    fields: dict[str, set[str] | None]
    """Field names of the form; a section's name maps to its own fields (None: plain field)."""
    errors: bool
    placeholders: frozenset[str] | None
    menu: set[str] | None = None


@dataclass
class Flow:
    """What one en.json section (``config`` or ``options``) must translate."""

    forms: list[Form]
    errors: set[str]
    aborts: dict[str, list[frozenset[str] | None]]
    """Abort reason → placeholders passed at each place it aborts."""
    title_placeholders: bool = False


FLOW_BASES = {"ConfigFlow": "config", "OptionsFlow": "options"}


class _Blank(dict[str, Any]):
    """Stands in for whatever a form's schema reads from a flow (``self``, ``user_input``)."""

    def __getattr__(self, name: str) -> _Blank:
        return _Blank()

    def __call__(self, *args: Any, **kwargs: Any) -> _Blank:
        return _Blank()


class _Locals(dict[str, Any]):
    """Names for evaluating a form's schema: module names and builtins stay themselves, a local
    variable assigned earlier in the step is evaluated (with these same rules), anything else
    (``self``, ``user_input``) is a blank."""

    def __init__(self, src: Source, assigned: Mapping[str, ast.expr]) -> None:
        super().__init__()
        self._src = src
        self._assigned = dict(assigned)

    def __missing__(self, name: str) -> Any:
        if name in vars(self._src.module) or hasattr(builtins, name):
            raise KeyError(name)  # eval looks it up in the module, then in builtins
        value: Any = _Blank()
        if (node := self._assigned.pop(name, None)) is not None:
            with contextlib.suppress(Exception):
                value = self._evaluate(node)
        self[name] = value
        return value

    def _evaluate(self, node: ast.expr) -> Any:
        code = compile(ast.Expression(node), self._src.where(node), "eval")
        return eval(code, vars(self._src.module), self)


def _schema_fields(src: Source, node: ast.expr) -> dict[str, set[str] | None]:
    """Field names of a form's ``data_schema``, evaluated with blank inputs."""
    func = _function(src, node)
    assigned = {
        stmt.targets[0].id: stmt.value
        for stmt in (ast.walk(func) if func is not None else ())
        if isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and stmt.lineno < node.lineno
    }
    if isinstance(node, ast.Call) and call_name(node) == "add_suggested_values_to_schema":
        node = node.args[0]
    schema = _Locals(src, assigned)._evaluate(node)
    if not isinstance(getattr(schema, "schema", None), dict):
        raise UnresolvedError(f"{src.where(node)}: {ast.unparse(node)} is no schema")
    fields: dict[str, set[str] | None] = {}
    for marker, value in schema.schema.items():
        name = str(getattr(marker, "schema", marker))
        fields[name] = (
            {str(getattr(m, "schema", m)) for m in value.schema.schema}
            if isinstance(value, section)
            else None
        )
    return fields


def _flow_error_keys(src: Source, handler_type: ast.expr) -> set[str]:
    """First arguments of every ``X(...)`` of the exception class a handler catches."""
    if not isinstance(handler_type, ast.Name):
        raise UnresolvedError(f"{src.where(handler_type)}: catches {ast.unparse(handler_type)}")
    keys: set[str] = set()
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Call) and call_name(node) == handler_type.id:
            first = node.args[0] if node.args else keyword(node, "key")
            if first is not None:
                keys |= strings(src, first)
    return keys


def _error_values(src: Source, cls: ast.ClassDef) -> set[str]:
    """Every key assigned into ``errors`` in the class: literals and ``err.<attr>`` of a caught
    exception class (then every key that class is ever raised with)."""
    keys: set[str] = set()
    for node in ast.walk(cls):
        values: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "errors"
                ):
                    values.append(node.value)
                if (
                    isinstance(target, ast.Name)
                    and target.id == "errors"
                    and isinstance(node.value, ast.Dict)
                ):
                    values.extend(node.value.values)
        if isinstance(node, ast.Call) and isinstance(errors := keyword(node, "errors"), ast.Dict):
            values.extend(errors.values)
        for value in values:
            if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
                handler = next(
                    (
                        h
                        for h in src.ancestors(node)
                        if isinstance(h, ast.ExceptHandler) and h.name == value.value.id
                    ),
                    None,
                )
                if handler is None or handler.type is None:
                    raise UnresolvedError(
                        f"{src.where(node)}: where does {ast.unparse(value)} come from?"
                    )
                keys |= _flow_error_keys(src, handler.type)
            else:
                keys |= strings(src, value)
    return keys


def _aborts(src: Source, cls: ast.ClassDef) -> dict[str, list[frozenset[str] | None]]:
    """Abort reasons of the class: explicit ones and those Home Assistant's helpers use."""
    aborts: dict[str, list[frozenset[str] | None]] = {}

    def add(keys: Iterable[str], node: ast.Call) -> None:
        given = dict_keys(src, keyword(node, "description_placeholders"))
        for key in keys:
            aborts.setdefault(key, []).append(given)

    for node in ast.walk(cls):
        if not isinstance(node, ast.Call):
            continue
        name = call_name(node)
        reason = keyword(node, "reason")
        if name == "async_abort":
            assert reason is not None, src.where(node)
            add(strings(src, reason), node)
        elif name == "AbortFlow":
            add(strings(src, node.args[0] if node.args else reason or ast.Constant("")), node)
        elif name == "_abort_if_unique_id_configured":
            error = keyword(node, "error")
            add(strings(src, error) if error else {"already_configured"}, node)
        elif name == "_async_abort_entries_match":
            add({"already_configured"}, node)
        elif name == "_abort_if_unique_id_mismatch":
            add(strings(src, reason) if reason else {"unique_id_mismatch"}, node)
        elif name == "async_update_reload_and_abort":
            if reason is not None:
                add(strings(src, reason), node)
            else:
                # Home Assistant picks the reason from the flow's source.
                func = _function(src, node)
                assert func is not None
                source_step = "reconfigure" if "reconfigure" in func.name else "reauth"
                add({f"{source_step}_successful"}, node)
    return aborts


def flows() -> dict[str, Flow]:
    """The config and options flows of config_flow.py, by en.json section."""
    src = source("config_flow")
    found: dict[str, Flow] = {}
    module_aborts: dict[str, list[frozenset[str] | None]] = {}
    for node in src.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and call_name(call) == "AbortFlow":
                    for key in strings(src, call.args[0]):
                        module_aborts.setdefault(key, []).append(frozenset())
    for cls in (n for n in src.tree.body if isinstance(n, ast.ClassDef)):
        bases = {ast.unparse(base).rsplit(".", 1)[-1] for base in cls.bases}
        kinds = {
            kind for base in bases for prefix, kind in FLOW_BASES.items() if base.startswith(prefix)
        }
        if not kinds:
            continue
        (kind,) = kinds
        flow = found.setdefault(kind, Flow([], set(), {}))
        for call in ast.walk(cls):
            if not isinstance(call, ast.Call):
                continue
            name = call_name(call)
            if name in {"async_show_form", "async_show_menu"}:
                step_node = keyword(call, "step_id")
                assert step_node is not None, src.where(call)
                schema = keyword(call, "data_schema")
                errors = keyword(call, "errors")
                menu = keyword(call, "menu_options")
                for step in strings(src, step_node):
                    flow.forms.append(
                        Form(
                            step=step,
                            where=src.where(call),
                            fields=_schema_fields(src, schema) if schema is not None else {},
                            errors=errors is not None
                            and not (isinstance(errors, ast.Constant) and errors.value is None),
                            placeholders=dict_keys(src, keyword(call, "description_placeholders")),
                            menu=(
                                {str(e.value) for e in menu.elts if isinstance(e, ast.Constant)}
                                if isinstance(menu, ast.List)
                                else None
                            ),
                        )
                    )
            elif name in {"async_show_progress", "async_external_step"}:
                raise UnresolvedError(f"{src.where(call)}: {name} is not checked yet")
        flow.errors |= _error_values(src, cls)
        for reason, given in _aborts(src, cls).items():
            flow.aborts.setdefault(reason, []).extend(given)
        if kind == "config":  # AbortFlow raised by module-level helpers of the config flow
            for reason, given in module_aborts.items():
                flow.aborts.setdefault(reason, []).extend(given)
        flow.title_placeholders |= "title_placeholders" in ast.unparse(cls)
    return found


FLOW_SECTION_KEYS = {"step", "error", "abort", "flow_title"}
STEP_KEYS = {
    "title",
    "description",
    "data",
    "data_description",
    "sections",
    "menu_options",
    "submit",
}


@pytest.mark.parametrize("kind", ["config", "options"])
def test_flow_steps_errors_and_aborts(kind: str) -> None:
    flow = flows().get(kind, Flow([], set(), {}))
    strings_ = EN.get(kind, {})
    assert set(strings_) <= FLOW_SECTION_KEYS, set(strings_) - FLOW_SECTION_KEYS
    assert set(strings_.get("step", {})) == {form.step for form in flow.forms}, "step IDs"
    assert set(strings_.get("error", {})) == flow.errors, "errors"
    assert set(strings_.get("abort", {})) == set(flow.aborts), "abort reasons"
    assert ("flow_title" in strings_) == flow.title_placeholders, "flow_title"


@pytest.mark.parametrize("kind", ["config", "options"])
def test_flow_form_fields(kind: str) -> None:
    """Every field of every form has a label, every description belongs to a field."""
    for form in flows().get(kind, Flow([], set(), {})).forms:
        step = EN[kind]["step"][form.step]
        assert set(step) <= STEP_KEYS, (form.step, set(step) - STEP_KEYS)
        plain = {name for name, inner in form.fields.items() if inner is None}
        sections = {name: inner for name, inner in form.fields.items() if inner is not None}
        assert set(step.get("data", {})) == plain, f"{form.where}: {form.step} data"
        assert set(step.get("data_description", {})) <= plain, form.step
        assert set(step.get("sections", {})) == set(sections), form.step
        for name, inner in sections.items():
            texts = step["sections"][name]
            assert set(texts.get("data", {})) == inner, (form.step, name)
            assert set(texts.get("data_description", {})) <= inner, (form.step, name)
        if form.menu is not None:
            assert set(step.get("menu_options", {})) == form.menu, form.step


# A step whose form may show an error naming a placeholder the step does not pass. Empty: the
# test fails on a new gap, and on a listed gap that is gone.
KNOWN_PLACEHOLDER_GAPS: set[tuple[str, str, str, str]] = set()


@pytest.mark.parametrize("kind", ["config", "options"])
def test_flow_placeholders_are_passed(kind: str) -> None:
    """A form passes every placeholder its title and descriptions name, and, if it shows
    errors, every placeholder of any error it could show (all of the flow's errors: which
    one a step can reach is not worked out here). An abort passes those of its reason."""
    flow = flows().get(kind, Flow([], set(), {}))
    texts = EN.get(kind, {})
    error_placeholders = placeholders(texts.get("error", {}))
    gaps: set[tuple[str, str, str, str]] = set()
    for form in flow.forms:
        needed = placeholders(texts["step"][form.step])
        if form.errors:
            needed |= error_placeholders
        if form.placeholders is not None:
            gaps |= {(kind, "step", form.step, name) for name in needed - form.placeholders}
    for reason, passed in flow.aborts.items():
        needed = placeholders(texts.get("abort", {}).get(reason, ""))
        for given in passed:
            if given is not None:
                gaps |= {(kind, "abort", reason, name) for name in needed - given}
    known = {gap for gap in KNOWN_PLACEHOLDER_GAPS if gap[0] == kind}
    assert gaps - known == set(), "placeholders not passed"
    assert known - gaps == set(), "fixed: delete these from KNOWN_PLACEHOLDER_GAPS"


# -- icons.json ----------------------------------------------------------------------------------
ICON = re.compile(r"^mdi:[a-z0-9]+(-[a-z0-9]+)*$")


def test_icons_match_entities() -> None:
    assert set(ICONS) <= {"entity", "services"}, "only entity and action icons are checked"
    descriptions = {
        platform: {d.translation_key: d for d in found if d.translation_key}
        for platform, found in entity_descriptions().items()
    }
    for platform, entries in ICONS["entity"].items():
        for key, icons in entries.items():
            assert key in EN["entity"].get(platform, {}), (
                f"icon for unknown entity {platform}.{key}"
            )
            assert set(icons) <= {"default", "state", "state_attributes"}, (platform, key)
            assert "default" in icons, f"{platform}.{key}: no default icon"
            for icon in [icons["default"], *icons.get("state", {}).values()]:
                assert ICON.match(icon), f"{platform}.{key}: {icon!r}"
            states = set(icons.get("state", {}))
            if platform == Platform.BINARY_SENSOR:
                allowed = {"on", "off"}
            else:
                options = getattr(descriptions[platform].get(key), "options", None) or []
                allowed = {str(option) for option in options}
            assert states <= allowed, f"{platform}.{key}: icons for states {states - allowed}"
            attributes = set(icons.get("state_attributes", {}))
            translated = set(EN["entity"][platform][key].get("state_attributes", {}))
            assert attributes <= translated, (platform, key, attributes - translated)


def test_icons_match_actions() -> None:
    """Every action in services.yaml has an icon (hassfest's icons schema: {"service": icon})."""
    actions = set(load_yaml_dict(str(INTEGRATION / "services.yaml")))
    assert set(ICONS.get("services", {})) == actions
    for action, icons in ICONS["services"].items():
        assert set(icons) == {"service"}, action
        assert ICON.match(icons["service"]), (action, icons["service"])


# -- the resolver itself -------------------------------------------------------------------------
def test_every_translation_key_in_the_code_is_understood() -> None:
    """Parsing found uses of each kind the integration has (the checks above are not vacuous)."""
    uses = translation_key_uses()
    assert {"entity.sensor", "entity.binary_sensor", "exceptions", "issues"} <= set(uses)
    assert {form.step for form in flows()["config"].forms} >= {"user"}
    assert {form.step for form in flows()["options"].forms} >= {"init"}
