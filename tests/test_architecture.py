"""The shape of `assessor/`: no import circles, and no import hidden inside a function.

Read with `ast` from the source, so nothing is imported and a circle cannot hide in a
function-local import: those count as edges too.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "assessor"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

# Function-local imports that stay, as (importing module, imported module).
ALLOWED_LOCAL_IMPORTS = {
    # Django's AppConfig.ready(): signal wiring needs the app registry to be ready.
    ("assessor.apps", "assessor.records.guard"),
    ("assessor.apps", "assessor.models"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in sorted(ROOT.rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    }


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[str, int, bool]]:
    """(imported module of the package, line, inside a function?) for each import in a module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            local = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(name, is_package, child)
                # `from . import pdf` names a module; `from .models import Answer` does not.
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                    for alias in child.names
                ]
            for target in targets:
                if target in known and target != name:
                    found.append((target, child.lineno, in_function))
            visit(child, local)

    visit(tree, False)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {
        name: {target for target, _, _ in imports_of(name, path, known)}
        for name, path in found.items()
    }


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_package_has_no_import_circle():
    cycle = find_cycle(graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_no_import_hides_inside_a_function():
    found = modules()
    known = set(found)
    local = [
        f"{name}:{line} imports {target}"
        for name, path in found.items()
        for target, line, in_function in imports_of(name, path, known)
        if in_function and (name, target) not in ALLOWED_LOCAL_IMPORTS
    ]
    assert not local, "function-local imports: " + "; ".join(local)


def test_the_walk_sees_a_circle_and_a_local_import():
    # The checks above must be able to fail: a made-up graph with a circle is caught.
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    # And the walk reads today's allowed local imports, so it does see imports in functions.
    seen = {
        (name, target)
        for name, path in modules().items()
        for target, _, in_function in imports_of(name, path, set(modules()))
        if in_function
    }
    assert ("assessor.apps", "assessor.models") in seen


def test_imports_reach_the_validators_without_the_forms():
    # The JSON import checks links as the wizard's form does, through validators.py.
    edges = graph()
    assert "assessor.records.validators" in edges["assessor.documents.exchange"]
    assert "assessor.wizard.forms" not in edges["assessor.documents.exchange"]
