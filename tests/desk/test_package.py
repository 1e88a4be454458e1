"""The desk ships its templates and static files, and editing it never re-renders a library."""

from __future__ import annotations

from handout_builder.build import fingerprint
from handout_builder.paths import DEFAULT_BRAND_DIR


def test_editing_the_desk_changes_no_input_hash(tmp_path, monkeypatch):
    package = tmp_path / "handout_builder"
    (package / "desk" / "templates").mkdir(parents=True)
    (package / "render").mkdir()
    page, code = package / "desk" / "templates" / "find.html", package / "render" / "pdf.py"
    page.write_text("<h1>Find</h1>")
    code.write_text("x = 1\n")
    monkeypatch.setattr(fingerprint, "PACKAGE_DIR", package)
    base = fingerprint.shared_fingerprint(DEFAULT_BRAND_DIR)
    page.write_text("<h1>Find a leaflet</h1>")
    assert fingerprint.shared_fingerprint(DEFAULT_BRAND_DIR) == base
    code.write_text("x = 2\n")
    assert fingerprint.shared_fingerprint(DEFAULT_BRAND_DIR) != base


def test_the_wheel_ships_the_desk_files():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    [patterns] = [line for line in pyproject.splitlines() if line.startswith('"handout_builder" = [')]
    desk = root / "handout_builder" / "desk"
    for folder in ("templates", "static"):
        files = [p for p in (desk / folder).iterdir() if p.is_file()]
        assert files and not [p for p in (desk / folder).iterdir() if p.is_dir()]
        assert f'"desk/{folder}/*"' in patterns
