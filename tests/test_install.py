"""A non-editable install works: a built wheel, and ``pip install .``, each installed into a
fresh virtual environment, render the sample from another folder, byte for byte as the source
tree does (no path of a font or stylesheet gets into the PDF).

Everything make_handout needs of its own (templates, stylesheets, fonts, the built-in brand,
message catalogues, data) must come from the installed package: the environment has no
system site-packages, the commands run in an empty temporary folder, the project is built
from a copy of the source tree, and the test checks that ``handout_builder`` is imported from
the install and that no folder of the repository is on ``sys.path``. Only the third-party
dependencies (WeasyPrint, Pydantic, ...) are borrowed from the environment running the tests,
by a ``.pth`` file (which adds their folder, not the ``.pth`` files in it: the repository's
editable install stays out), so the test needs no network and no second copy of them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import BRANDS, REPO, SAMPLE, copy_sample

pytestmark = pytest.mark.pdf

#: What the copy of the source tree leaves out: the environment, VCS data, earlier builds.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "out", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
    "results",
)
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]


def _run(command: list, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    return result


def _source_copy(tmp: Path) -> Path:
    source = tmp / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    return source


def _fresh_environment(tmp: Path) -> Path:
    """A virtual environment without system site-packages (and without pip: the test's pip
    installs into it with ``--python``), that sees this environment's dependencies."""
    env_dir = tmp / "env"
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                cwd=tmp).stdout.strip()
    dependencies = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (Path(site) / "_test_dependencies.pth").write_text("\n".join(dependencies) + "\n")
    return env_dir


def _pdf_text(path: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                                   capture_output=True, text=True).stdout.split())


def _check_installed_tool(env_dir: Path, tmp: Path, expected: bytes) -> None:
    work = tmp / "work"  # a clinic's folder: its topics in handouts/, nothing else
    (work / "handouts").mkdir(parents=True)
    topic = copy_sample(work / "handouts")

    probe = _run([env_dir / "bin" / "python", "-c",
                  "import json, sys, handout_builder, handout_builder.paths as p;"
                  "print(json.dumps({'module': handout_builder.__file__,"
                  " 'assets': str(p.ASSETS_DIR), 'path': sys.path}))"], cwd=work).stdout
    found = json.loads(probe)
    installed = env_dir.resolve()
    assert Path(found["module"]).resolve().is_relative_to(installed), found["module"]
    assert Path(found["assets"]).is_relative_to(installed), found["assets"]
    repo = REPO.resolve()
    for entry in found["path"]:  # the dependencies may be in the repository's .venv/
        real = Path(entry).resolve() if entry else work
        in_repo = real.is_relative_to(repo) and not real.is_relative_to(repo / ".venv")
        assert not in_repo and not real.is_relative_to(tmp / "source"), entry

    tool = env_dir / "bin" / "make-handout"
    _run([tool, "check"], cwd=work)  # no path: ./handouts
    _run([tool, "render", topic, "--as-of", "2026-11-25"], cwd=work)  # the built-in brand
    text = _pdf_text(work / "out" / "calcification.pdf")
    assert "Calcification" in text and "Riverside Family Clinic" in text, text[:300]
    assert "HEART, BLOOD AND CIRCULATION" in text  # the category, in capitals above the title
    # the same bytes as from the source tree: no path of a font or stylesheet leaks in
    assert (work / "out" / "calcification.pdf").read_bytes() == expected
    # a clinic's own brand, given as a folder anywhere; large print needs its stylesheet
    _run([tool, "render", topic, "--as-of", "2026-11-25", "--brand", BRANDS["harbour"],
          "--large-print", "--out", work / "harbour"], cwd=work)
    text = _pdf_text(work / "harbour" / "calcification.large-print.pdf")
    assert "Calcification" in text and "Harbourside Health Centre" in text, text[:300]


def test_wheel_installs_and_renders_from_any_folder(tmp_path, sample_pdf):
    source = _source_copy(tmp_path)
    _run([*PIP, "wheel", "--no-deps", "-w", tmp_path / "dist", source], cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("make_handout-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assets = REPO / "handout_builder" / "assets"
    shipped = {
        path.relative_to(REPO).as_posix() for path in assets.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {"handout_builder/assets/templates/leaflet.html.j2",
            "handout_builder/assets/styles/fonts/fonts.conf",
            "handout_builder/assets/styles/fonts/AtkinsonHyperlegible_400Regular.ttf",
            "handout_builder/assets/brands/default/brand.yaml"} <= shipped
    assert shipped <= names, sorted(shipped - names)
    licences = {n.rsplit("/", 1)[-1] for n in names if "/licenses/" in n}
    assert {"LICENSE", "OFL.txt", "OFL-Noto.txt", "OFL-Nanum.txt"} <= licences, licences

    env_dir = _fresh_environment(tmp_path)
    _run([*PIP, "--python", env_dir / "bin" / "python", "install", "--no-deps", "--no-index",
          wheel], cwd=tmp_path)
    _check_installed_tool(env_dir, tmp_path, sample_pdf.read_bytes())


def test_pip_install_dot_installs_and_renders_from_any_folder(tmp_path, sample_pdf):
    source = _source_copy(tmp_path)
    env_dir = _fresh_environment(tmp_path)
    _run([*PIP, "--python", env_dir / "bin" / "python", "install", "--no-deps", "."],
         cwd=source)
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    assert (site / "handout_builder" / "assets" / "styles" / "leaflet.css").is_file()
    assert not list(site.glob("__editable__*"))
    _check_installed_tool(env_dir, tmp_path, sample_pdf.read_bytes())
