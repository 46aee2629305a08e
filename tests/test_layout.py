"""The code's layout: a package per backend, no backend reaching into another or into the
orchestrator, and no module at the top of compiler/ that only one backend uses."""

from __future__ import annotations

import ast
from pathlib import Path

from compiler.backends import REGISTRY
from tests.conftest import ROOT

COMPILER = ROOT / "compiler"
BACKENDS = COMPILER / "backends"


def imports(path: Path) -> set[str]:
    """Every module `path` imports, as dotted names (`from a import b` counts a and a.b)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_every_backend_is_a_package_with_a_backend_module() -> None:
    for name, target in REGISTRY.items():
        assert target.startswith(f"compiler.backends.{name}.backend:"), target
        assert (BACKENDS / name / "backend.py").is_file()
        assert (BACKENDS / name / "__init__.py").is_file()
    assert sorted(p.name for p in BACKENDS.glob("*.py")) == ["__init__.py", "base.py"]


def test_no_backend_imports_another_backend_the_orchestrator_or_pandoc() -> None:
    for name in REGISTRY:
        for path in sorted((BACKENDS / name).rglob("*.py")):
            for imported in imports(path):
                other = imported.split(".")[2] if imported.startswith("compiler.backends.") else None
                assert other in (None, name, "base"), f"{path.name} of {name} imports {imported}"
                assert not imported.startswith(("compiler.build", "compiler.cli")), (path, imported)
                assert not imported.startswith(("compiler.pandoc", "pypandoc")), (path, imported)
                assert imported not in ("compiler.math.mathml", "compiler.render"), (path, imported)


def test_no_top_level_module_belongs_to_a_single_backend() -> None:
    users: dict[str, set[str]] = {}
    for path in sorted(COMPILER.rglob("*.py")):
        owner = path.relative_to(BACKENDS).parts[0] if path.is_relative_to(BACKENDS) else "shared"
        owner = "shared" if owner.endswith(".py") else owner  # backends/__init__.py, base.py
        for imported in imports(path):
            users.setdefault(imported, set()).add(owner)
    for path in sorted(COMPILER.glob("*.py")):
        name = module_name(path)
        owners = users.get(name, set()) - {"shared"}
        shared = "shared" in users.get(name, set()) or path.name in ("__main__.py", "__init__.py")
        assert shared or len(owners) != 1, f"{name} is used by the {owners} backend only: move it there"
