"""Where make_handout's files are: the one module that names them.

make_handout's own files (templates, stylesheets, bundled fonts, the built-in brands, message
catalogues, data) ship inside the package, in ``handout_builder/assets/``, and are found with
:mod:`importlib.resources`, so an editable install, ``pip install .`` and a wheel all find
them. They are used as real files: WeasyPrint reads stylesheets and fonts by path and
Fontconfig reads ``fonts.conf`` by path, so importing make_handout from a zip archive is not
supported (and refused here, with a message).

A clinic's own folders are relative to the current directory: topics in ``handouts/``, brands
in ``styles/`` (a brand is also found by its folder's path, anywhere), leaflets written to
``out/``. Rendering reads nothing outside the assets and the brand folder.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _assets_dir() -> Path:
    assets = files(__package__) / "assets"
    if not isinstance(assets, Path):
        raise ImportError(
            f"make_handout's assets are not files on disk ({assets!r}): WeasyPrint and "
            "Fontconfig read them by path, so make_handout cannot run from a zip archive. "
            "Install it with pip instead (a wheel, or pip install . in its folder)."
        )
    return assets.resolve()


#: The package's own files (part of the package data).
ASSETS_DIR = _assets_dir()
TEMPLATES_DIR = ASSETS_DIR / "templates"
STYLES_DIR = ASSETS_DIR / "styles"  # leaflet.css, large-print.css, safety.css, fonts/
FONTS_DIR = STYLES_DIR / "fonts"
#: Chinese, Japanese and Korean: Noto Sans CJK Regular from Debian's fonts-noto-cjk package
#: (too large to bundle; setup.sh installs it). fonts.conf accepts this file of that folder only.
CJK_FONTS_DIR = Path("/usr/share/fonts/opentype/noto")
CJK_FONT_FILES = ("NotoSansCJK-Regular.ttc",)
BUILTIN_BRANDS_DIR = ASSETS_DIR / "brands"
DEFAULT_BRAND_DIR = BUILTIN_BRANDS_DIR / "default"
MESSAGES_DIR = ASSETS_DIR / "messages"
DATA_DIR = ASSETS_DIR / "data"

#: A clinic's own folders, relative to the current directory.
HANDOUTS_DIR = Path("handouts")
CLINIC_BRANDS_DIR = Path("styles")
DEFAULT_OUT_DIR = Path("out")


def brand_names() -> dict[str, Path]:
    """Every brand a ``--brand NAME`` can name, each with its folder: the clinic's own under
    ``./styles/`` first, then the built-in ones (a clinic's brand hides a built-in one of the
    same name). A brand is a folder holding a ``brand.yaml``."""
    found: dict[str, Path] = {}
    for root in (CLINIC_BRANDS_DIR, BUILTIN_BRANDS_DIR):
        if root.is_dir():
            for folder in sorted(root.iterdir()):
                if (folder / "brand.yaml").is_file():
                    found.setdefault(folder.name, folder)
    return found


def brand_folder(value: str) -> Path:
    """The folder ``--brand VALUE`` means: an existing path as given, else a clinic brand
    ``./styles/VALUE``, else a built-in brand; else the path as given (which does not
    exist: the caller reports it, with :func:`brand_names`)."""
    path = Path(value)
    if path.exists():
        return path
    for root in (CLINIC_BRANDS_DIR, BUILTIN_BRANDS_DIR):
        if (root / value).is_dir():
            return root / value
    return path
