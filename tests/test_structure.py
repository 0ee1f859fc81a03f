"""The shape of the package: imports run one way (no cycle), the client has no HA imports."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "custom_components" / "nut_ups"
ROOT = "custom_components.nut_ups"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every module of the package that ``path`` imports, type-only imports included."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            source = f"{base}.{node.module}" if node.level and node.module else node.module or base
            targets = [source, *(f"{source}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        found.update(target for target in targets if target in modules and target != name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    return {module_name(path): imports_of(path, modules) for path in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one import cycle as a path of module names, or None."""
    done: set[str] = set()
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in stack:
            return [*stack[stack.index(node) :], node]
        if node in done:
            return None
        stack.append(node)
        for target in sorted(graph[node]):
            if cycle := visit(target):
                return cycle
        stack.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        if cycle := visit(node):
            return cycle
    return None


def test_no_import_cycle() -> None:
    graph = import_graph()
    assert f"{ROOT}.coordinator" in graph[f"{ROOT}.sensor"]  # the walk sees imports at all
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]


@pytest.mark.parametrize(
    ("leaf", "allowed"),
    [
        ("nut.settings", {"nut.channel", "nut.exceptions", "nut.tls"}),
        (
            "nut.connection",
            {
                "nut.channel",
                "nut.exceptions",
                "nut.lines",
                "nut.protocol",
                "nut.settings",
                "nut.tls",
            },
        ),
        ("state", {"plausible", "status", "variables"}),
        ("plausible", {"status"}),
        ("transitions", {"selftest", "state"}),
        ("ledger", {"state", "transitions"}),
        ("issues", {"battery", "battery_log", "const", "selftest", "state", "status"}),
        ("battery", set()),
        ("runtime_estimate", set()),
    ],
)
def test_floors(leaf: str, allowed: set[str]) -> None:
    """Lower floors import only from floors below them (the connection never the client)."""
    imported = {name.removeprefix(f"{ROOT}.") for name in import_graph()[f"{ROOT}.{leaf}"]}
    assert imported <= allowed


def test_the_client_has_no_home_assistant_imports() -> None:
    ground = [PACKAGE / name for name in ("state.py", "status.py", "transitions.py", "ledger.py")]
    ground.append(PACKAGE / "plausible.py")
    for path in [*(PACKAGE / "nut").glob("*.py"), *ground]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [alias.name for alias in node.names]
                )
                assert not any(name.startswith("homeassistant") for name in names), path
