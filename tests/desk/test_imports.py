"""The desk calls the service only (and the domain's types and rules): never a stage."""

from __future__ import annotations

from tests.test_layers import PACKAGE, _imported_stage, _imports


def test_the_desk_imports_only_the_service_and_the_domain():
    wrong = []
    for path in sorted((PACKAGE / "desk").rglob("*.py")):
        for line, module in _imports(path):
            stage = _imported_stage(module)
            if stage not in (None, "", "service", "domain", "desk"):
                wrong.append(f"{path.name}:{line}: {module}")
    assert wrong == []
