"""Where make_handout's own files are: inside the package, as real files."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from handout_builder import paths
from tests.conftest import REPO


def test_assets_are_inside_the_package():
    package = (REPO / "handout_builder").resolve()
    assert paths.ASSETS_DIR == package / "assets"
    for folder in (paths.TEMPLATES_DIR, paths.STYLES_DIR, paths.FONTS_DIR, paths.MESSAGES_DIR,
                   paths.DATA_DIR, paths.DEFAULT_BRAND_DIR):
        assert folder.is_relative_to(paths.ASSETS_DIR) and folder.is_dir(), folder
    assert (paths.FONTS_DIR / "fonts.conf").is_file()
    assert (paths.DEFAULT_BRAND_DIR / "brand.yaml").is_file()


def test_a_zip_import_is_refused_with_a_reason(tmp_path):
    archive = tmp_path / "make_handout.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in (REPO / "handout_builder").rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                zipped.write(path, path.relative_to(REPO).as_posix())
    # -S: no site-packages (the editable install), so the package comes from the archive
    result = subprocess.run(
        [sys.executable, "-S", "-c",
         f"import sys; sys.path.insert(0, {str(archive)!r}); import handout_builder.paths"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert "cannot run from a zip archive" in result.stderr
    assert "ImportError" in result.stderr
