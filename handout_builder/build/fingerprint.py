"""Input hashes: what shapes a PDF, hashed, so a build renders only what changed.

:func:`shared_fingerprint` hashes everything but the topic (code, templates, styles, fonts,
message catalogues, the brand, package versions, render options), once per build;
:func:`input_hash` adds one topic's path and bytes and its ``library.yaml``.

Imports: sources (reading files), output (the catalogue template's name).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path

from handout_builder import __version__
from handout_builder.output.catalogue import CATALOGUE_TEMPLATE
from handout_builder.paths import ASSETS_DIR, BUILTIN_BRANDS_DIR, TEMPLATES_DIR
from handout_builder.domain.problems import UserError
from handout_builder.sources.library import library_for, settings_path_for
from handout_builder.sources.loader import read_regular_file

#: Python packages whose version can change a PDF's bytes; part of every input hash.
OUTPUT_PACKAGES = (
    "weasyprint", "pydyf", "tinycss2", "cssselect2", "fonttools", "pyphen", "pillow",
    "pydantic", "markdown-it-py", "PyYAML", "Jinja2", "MarkupSafe",
)
PACKAGE_DIR = Path(__file__).resolve().parent.parent
#: The assets that shape no PDF, relative to the assets folder: the catalogue's template and
#: the built-in brands (the brand in use is hashed as the brand, wherever it is).
NOT_IN_FINGERPRINT = (
    TEMPLATES_DIR.relative_to(ASSETS_DIR) / CATALOGUE_TEMPLATE,
    BUILTIN_BRANDS_DIR.relative_to(ASSETS_DIR),
)


def _file_digests(root: Path, skip: Callable[[Path], bool] = lambda p: False) -> list[str]:
    lines = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if (
            not path.is_file()
            or any(part.startswith(".") or part == "__pycache__" for part in rel.parts)
            or skip(path)
        ):
            continue
        lines.append(f"{rel.as_posix()} {hashlib.sha256(path.read_bytes()).hexdigest()}")
    return lines

def package_versions() -> list[str]:
    versions = []
    for name in OUTPUT_PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return versions

def shared_fingerprint(brand_dir: Path, options: Iterable[tuple[str, str]] = ()) -> str:
    """SHA-256 of everything, except the topic, that shapes a PDF; computed once per build.

    The tool's version and code, its assets (templates, stylesheets, fonts, message
    catalogues, data; the catalogue's template and the built-in brands excepted), the brand
    folder, the versions of the packages that lay out and write the PDF, and the render
    options. System libraries (Pango, HarfBuzz) are not covered: use ``--force`` after
    upgrading them.
    """
    brand_dir = brand_dir.resolve()
    parts = [f"make_handout {__version__}", *package_versions()]
    parts += [f"option {key}={value}" for key, value in sorted(options)]
    parts += ["[code]", *_file_digests(PACKAGE_DIR, skip=lambda path: path.is_relative_to(
        ASSETS_DIR))]
    parts += ["[assets]", *_file_digests(ASSETS_DIR, skip=lambda path: any(
        path.relative_to(ASSETS_DIR).is_relative_to(rel) for rel in NOT_IN_FINGERPRINT))]
    parts += ["[brand]", *_file_digests(brand_dir)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def input_hash(shared: str, rel: str, source: bytes, settings: bytes = b"") -> str:
    """The input hash of one topic: the shared fingerprint, its path (the default id), its
    bytes and the bytes of the ``library.yaml`` that applies to it (the review interval)."""
    digest = hashlib.sha256()
    for part in (shared.encode(), rel.encode(), source, settings):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()

def settings_bytes(topic_path: Path) -> bytes:
    """The ``library.yaml`` that applies to a topic (review interval), or nothing.

    Its build ``matrix`` is left out (the settings are then hashed as read): adding a brand,
    a language or a variant to the matrix renders only the new combinations."""
    try:
        raw = read_regular_file(settings_path_for(topic_path))
    except OSError:
        return b""  # the loader reports why it cannot be read
    try:
        settings = library_for(topic_path).settings
    except UserError:
        return raw  # the build reports it
    if settings.matrix is None:
        return raw
    return settings.model_dump_json(exclude={"matrix"}).encode("utf-8")
