"""The tests' own layout: test modules import the tests/builders package (and get conftest
fixtures), never each other, so each module can be read, run and moved on its own and pytest
collects each test once."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# Support code beside the tests: the builders package (one module per concern), and the OpenID
# provider that test_sso.py starts as a process of its own.
SUPPORT = "tests.builders"
OWN_PROCESS = "tests.oidc_provider"


def module_name(path: Path) -> str:
    parts = path.relative_to(TESTS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, source: str) -> set[str]:
    """Every module `source` (the text of `path`) imports, relative imports resolved against
    its package."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *filter(None, [node.module])])
            found.add(module)
            # `from tests import test_x` names a module, not an attribute
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return name.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def test_no_test_module_imports_another_or_a_conftest():
    offenders = [
        f"{path.relative_to(TESTS.parent)} imports {name}"
        for path in sorted(TESTS.rglob("*.py"))
        for name in sorted(imported_modules(path, path.read_text()))
        if is_test_module(name)
    ]
    assert not offenders, "move what they share into tests/builders/:\n" + "\n".join(offenders)


def stray_support(paths) -> set[str]:
    """The support modules among `paths` (neither a test module nor a package's __init__) that
    live outside the builders package and the OpenID provider."""
    names = {module_name(path) for path in paths if path.name != "__init__.py"}
    return {
        name
        for name in names
        if not is_test_module(name)
        and not name.startswith(f"{SUPPORT}.")
        and not name.startswith(OWN_PROCESS)
    }


def test_support_code_lives_in_the_builders_package():
    assert stray_support(TESTS.rglob("*.py")) == set()
    assert (TESTS / "builders" / "__init__.py").exists()
    # and the check sees support code planted anywhere else
    planted = [
        TESTS / "helpers.py",
        TESTS / "browser" / "steps.py",
        TESTS / "builders.py",
        TESTS / "builders" / "records.py",
        TESTS / "builders" / "__init__.py",
        TESTS / "calibration" / "test_new.py",
        TESTS / "oidc_provider" / "server.py",
    ]
    assert stray_support(planted) == {"tests.helpers", "tests.browser.steps", "tests.builders"}


def test_the_check_sees_each_form_of_import():
    """Absolute, relative and package-level imports of a test module are all resolved."""
    probe = TESTS / "browser" / "test_probe.py"
    for source in (
        "from tests.documents.test_pdf import read\n",
        "import tests.documents.test_pdf\n",
        "from tests import test_pdf\n",
        "from .test_journeys import x\n",
        "from .conftest import TIMEOUT_MS\n",
        "from ..test_security import x\n",
    ):
        assert any(map(is_test_module, imported_modules(probe, source))), source
    assert not any(map(is_test_module, imported_modules(probe, "from tests.builders import x\n")))


# Folders of tests that are not one package's: the browser journeys, the calibration against
# workflows, and the OpenID provider test_sso starts. Cross-cutting tests (team boundaries,
# security, faults, the layout itself) stay at the top of tests/.
NOT_A_PACKAGE = {"browser", "builders", "calibration", "oidc_provider"}  # builders: support code


def test_test_folders_follow_the_packages():
    """tests/<package>/ holds the tests of assessor/<package>/, so a newcomer finds them."""
    packages = {path.parent.name for path in (TESTS.parent / "assessor").glob("*/__init__.py")}
    folders = {
        path.name
        for path in TESTS.iterdir()
        if path.is_dir() and not path.name.startswith(("_", "."))
    }
    assert folders - NOT_A_PACKAGE <= packages, folders - NOT_A_PACKAGE - packages
    missing_init = [name for name in sorted(folders) if not (TESTS / name / "__init__.py").exists()]
    assert not missing_init, missing_init
