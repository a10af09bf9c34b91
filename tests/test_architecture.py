"""The shape of `assessor/`: no import circles, no import hidden inside a function, and the
layers (import-linter's contracts in .importlinter, and what they cannot say, checked here).

Read with `ast` from the source, so nothing is imported and a circle cannot hide in a
function-local import: those count as edges too.
"""

from __future__ import annotations

import ast
import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = "assessor"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

# Function-local imports that stay, as (importing module, imported module).
ALLOWED_LOCAL_IMPORTS = {
    # Django's AppConfig.ready(): signal wiring needs the app registry to be ready.
    ("assessor.apps", "assessor.records.guard"),
    ("assessor.apps", "assessor.models"),
    ("assessor.apps", "assessor.notify.receivers"),
    ("assessor.apps", "assessor.portfolio.receivers"),
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


# --- the layers (README, Layout) ------------------------------------------------------------

REPO = ROOT.parent
CONFIG = REPO / ".importlinter"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def package_of(module: str) -> str:
    """The room a module lives in: `assessor.studio` for `assessor.studio.views`, the module
    itself for a top-level one (`assessor.models`)."""
    return ".".join(module.split(".")[:2])


def view_modules() -> list[str]:
    """The view modules, as the import-linter contract lists them (one list for both checks)."""
    config = configparser.ConfigParser()
    config.read(CONFIG)
    return config["importlinter:contract:views"]["source_modules"].split()


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(CONFIG), "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_hold():
    run = lint_imports(REPO)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_import_contracts_fail_on_a_planted_violation(tmp_path):
    # A copy of the package with two planted breaches: Django in the engine, the models in a
    # view. lint-imports must refuse it and name both contracts.
    shutil.copytree(ROOT, tmp_path / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    model = tmp_path / PACKAGE / "engine" / "model.py"
    model.write_text(model.read_text() + "\nimport django  # planted\n")
    view = tmp_path / PACKAGE / "review" / "views.py"
    view.write_text(view.read_text() + "\nfrom assessor.models import Assessment  # planted\n")
    run = lint_imports(tmp_path)
    assert run.returncode != 0, run.stdout
    assert "assessor.engine.model -> django" in run.stdout
    assert "assessor.review.views -> assessor.models" in run.stdout
    assert "2 broken" in run.stdout


def private_reaches(name: str, path: Path, known: set[str]) -> list[str]:
    """Each use of another package's private name: `from assessor.x.y import _name`, or
    `module._name` where `module` was imported from another package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    own = package_of(name)
    bound: dict[str, str] = {}  # local name -> module of the assessor it stands for
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = _resolve(name, path.name == "__init__.py", node)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in known:
                    bound[alias.asname or alias.name] = target
                elif (
                    base.startswith(PACKAGE) and is_private(alias.name) and package_of(base) != own
                ):
                    found.append(f"{name}:{node.lineno} imports {base}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known and alias.asname:
                    bound[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and is_private(node.attr)
            and package_of(bound[node.value.id]) != own
        ):
            found.append(f"{name}:{node.lineno} uses {bound[node.value.id]}.{node.attr}")
    return found


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_package_reaches_into_another_packages_private_names():
    found = modules()
    known = set(found)
    reaches = [hit for name, path in found.items() for hit in private_reaches(name, path, known)]
    assert not reaches, "private names used across packages:\n" + "\n".join(reaches)


def test_the_private_name_check_sees_both_forms(tmp_path):
    known = set(modules())
    probe = ROOT / "review" / "probe.py"  # read from tmp_path, named as if in review/
    source = tmp_path / "probe.py"
    source.write_text(
        "from assessor.engine.score import _outcome\n"
        "from assessor.engine import score\n"
        "score._totals\n"
        "from assessor.review.services import _helper\n"  # its own package: allowed
    )
    hits = private_reaches(module_name(probe), source, known)
    assert hits == [
        "assessor.review.probe:1 imports assessor.engine.score._outcome",
        "assessor.review.probe:3 uses assessor.engine.score._totals",
    ]


def orm_calls(path: Path) -> list[str]:
    """ORM reached directly in a view module: `Model.objects`, `Model.filter(`, or an import
    of django.db."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            found.append(f"line {node.lineno}: .objects")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"filter", "exclude", "get"}
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id[:1].isupper()  # a class (a model), not a dict or a queryset
            and not node.func.value.id.isupper()  # nor a CONSTANT
        ):
            found.append(f"line {node.lineno}: {node.func.value.id}.{node.func.attr}(")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django.db"):
            found.append(f"line {node.lineno}: imports {node.module}")
        elif isinstance(node, ast.Import) and any(
            a.name.startswith("django.db") for a in node.names
        ):
            found.append(f"line {node.lineno}: imports django.db")
    return sorted(found, key=lambda hit: int(hit.split(":")[0].split()[1]))


def test_views_reach_the_database_only_through_selectors_and_services():
    found = modules()
    listed = view_modules()
    assert set(listed) <= set(found), set(listed) - set(found)
    # every module named views.py is in the list, so a new package's views are checked too
    assert {name for name in found if name.endswith(".views")} <= set(listed)
    calls = [f"{name} {hit}" for name in listed for hit in orm_calls(found[name])]
    assert not calls, "ORM in a view (use a selector or a service):\n" + "\n".join(calls)


def test_the_orm_check_sees_each_form(tmp_path):
    probe = tmp_path / "views.py"
    probe.write_text(
        "from django.db import transaction\n"
        "Assessment.objects.all()\n"
        "Rule.filter(key='x')\n"
        "request.GET.get('page')\n"  # not a model: allowed
    )
    assert orm_calls(probe) == [
        "line 1: imports django.db",
        "line 2: .objects",
        "line 3: Rule.filter(",
    ]
