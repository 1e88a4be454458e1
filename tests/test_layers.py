"""The package map (docs/architecture.md): no stage imports a later one.

The pipeline, in order: ``domain`` < ``sources`` < ``quality``, ``render`` < ``output`` <
``build``, ``delivery`` < ``service`` < ``desk`` < ``cli`` (the command line starts the desk). A module may import its own package and any
earlier stage, never a later one nor a sibling of the same rank (``quality`` and ``render``
know nothing of each other). ``domain`` imports only the standard library, Pydantic, PyYAML
and the package's assets. Every import counts, at module top or inside a function.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import handout_builder

PACKAGE = Path(handout_builder.__file__).parent
#: Each stage's place in the pipeline.
RANK = {
    "domain": 0,
    "sources": 1,
    "quality": 2,
    "render": 2,
    "output": 3,
    "build": 4,
    "delivery": 4,
    "service": 5,
    "desk": 6,
    "cli": 7,
}
#: Not stages: usable from every stage (the version, the assets and the view of them).
SHARED = {"", "__init__", "assets", "paths"}
#: Third-party packages the domain may import.
DOMAIN_THIRD_PARTY = {"pydantic", "pydantic_core", "yaml", "babel"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "assets" not in p.parts)


def _stage(path: Path) -> str:
    """``domain`` for ``handout_builder/domain/models.py``; ``service`` for ``service.py``."""
    first = path.relative_to(PACKAGE).parts[0]
    return first.removesuffix(".py")


def _statements(tree: ast.AST):
    """Every statement of ``tree``, at any depth (in functions, classes, ``if``, ``try``...).

    An import is a statement, and no expression holds a statement (a lambda or a
    comprehension cannot), so expressions are not walked: six nodes in seven, a quarter of
    this test's time with :func:`ast.walk` (the same imports found in every module of the
    package and of its dependencies)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.expr):
                pending.append(child)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``."""
    package = ".".join(("handout_builder",) + path.relative_to(PACKAGE).parent.parts)
    found = []
    for node in _statements(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            if name == "handout_builder":  # from handout_builder import domain, sources
                found += [(node.lineno, f"handout_builder.{a.name}") for a in node.names
                          if a.name in RANK]
    return found


def _imported_stage(module: str) -> str | None:
    if module != "handout_builder" and not module.startswith("handout_builder."):
        return None
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_violations() -> list[str]:
    out = []
    for path in _modules():
        stage = _stage(path)
        rel = path.relative_to(PACKAGE.parent)
        for line, module in _imports(path):
            target = _imported_stage(module)
            if target is None:
                top = module.split(".")[0]
                if (stage == "domain" and top not in DOMAIN_THIRD_PARTY
                        and top not in sys.stdlib_module_names and top != "__future__"):
                    out.append(f"{rel}:{line}: domain imports {module} (only stdlib, "
                               "pydantic, yaml)")
                continue
            if target in SHARED or target == stage:
                continue
            if stage in SHARED:
                out.append(f"{rel}:{line}: {stage or 'handout_builder'} imports stage {target}")
            elif target not in RANK:
                out.append(f"{rel}:{line}: {stage} imports {module}, which is in no stage")
            elif RANK[target] >= RANK[stage]:
                out.append(f"{rel}:{line}: {stage} imports {module}, a later or sibling stage")
    return out


def test_no_stage_imports_a_later_one():
    assert layer_violations() == []


def test_every_package_is_a_stage():
    found = {_stage(p) for p in _modules()} - SHARED
    assert found == set(RANK)


@pytest.mark.parametrize("source, stage, expected", [
    ("from handout_builder.render.html import x\n", "domain", "a later or sibling stage"),
    ("from handout_builder.render import html\n", "quality", "a later or sibling stage"),
    ("from ..cli import main\n", "service", "a later or sibling stage"),
    ("import fontTools\n", "domain", "only stdlib"),
    ("from handout_builder import service\n", "output", "a later or sibling stage"),
    ("def f():\n    from handout_builder.service import g\n", "build", "later or sibling"),
])
def test_a_violation_is_found(tmp_path, monkeypatch, source, stage, expected):
    """The rule catches each kind of wrong import (so the test above can fail)."""
    package = tmp_path / "handout_builder"
    (package / stage).mkdir(parents=True)
    (package / stage / "bad.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", package)
    [violation] = layer_violations()
    assert expected in violation and f"{stage}/bad.py" in violation
