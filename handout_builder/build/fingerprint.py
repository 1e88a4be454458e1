"""Input hashes: what shapes a PDF, hashed, so a build renders only what changed.

:func:`shared_fingerprint` hashes everything but the topic (code, templates, styles, fonts,
message catalogues, the brand, package versions, render options), once per build;
:func:`input_hash` adds one topic's path and bytes, its ``library.yaml`` and its figures'
files.

Imports: sources (reading files), output (the catalogue template's name).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import cache
from importlib import metadata
from pathlib import Path

from handout_builder import __version__
from handout_builder.output.catalogue import CATALOGUE_TEMPLATE
from handout_builder.paths import ASSETS_DIR, BUILTIN_BRANDS_DIR, TEMPLATES_DIR
from handout_builder.domain.problems import UserError
from handout_builder.sources.brand_files import MAX_RASTER_BYTES
from handout_builder.sources.confined import confinement_problem
from handout_builder.sources.library import library_for, settings_path_for, source_of
from handout_builder.sources.loader import declared_figures, read_regular_file

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

@cache
def package_versions() -> tuple[str, ...]:
    """The versions of :data:`OUTPUT_PACKAGES`, read once per process (reading a package's
    metadata finds and parses its files: 17 ms for the twelve): the code this process has
    imported does not change while it runs."""
    versions = []
    for name in OUTPUT_PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return tuple(versions)

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
        ASSETS_DIR) or path.is_relative_to(PACKAGE_DIR / "desk"))]  # the desk shapes no PDF
    parts += ["[assets]", *_file_digests(ASSETS_DIR, skip=lambda path: any(
        path.relative_to(ASSETS_DIR).is_relative_to(rel) for rel in NOT_IN_FINGERPRINT))]
    parts += ["[brand]", *_file_digests(brand_dir)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def input_hash(
    shared: str, rel: str, source: bytes, settings: bytes = b"", figures: bytes = b""
) -> str:
    """The input hash of one topic: the shared fingerprint, its path (the default id), its
    bytes, the bytes of the ``library.yaml`` that applies to it (the review interval) and
    the digests of its figures' files (:func:`figure_digests`)."""
    digest = hashlib.sha256()
    parts = (shared.encode(), rel.encode(), source, settings)
    for part in parts + ((figures,) if figures else ()):  # no figures: the hash as before
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()

def topic_inputs(topic_path: Path, source: bytes) -> tuple[bytes, bytes]:
    """Besides a topic's own bytes (``source``), what its leaflet depends on, for
    :func:`input_hash`: the ``library.yaml`` that applies (and, for a translation, its source
    topic's bytes: drift), and its figures' files. The planner and every executor hash a
    topic with this, so their hashes agree."""
    return settings_bytes(topic_path) + source_bytes(topic_path), figure_digests(topic_path, source)


def figure_digests(topic_path: Path, source: bytes) -> bytes:
    """The files of a topic's figures, hashed: one line per figure (its name and the
    SHA-256 of its bytes), so a changed image re-renders the topics that show it. A file
    that is missing, outside the topic's folder or not a regular file is hashed as
    "unusable"; rendering reports why."""
    lines = []
    folder = topic_path.parent
    for name in declared_figures(source):
        try:
            if confinement_problem(folder, name, "The figure") is not None:
                raise FileNotFoundError(name)
            data = read_regular_file(folder / name, limit=MAX_RASTER_BYTES)
        except OSError:
            lines.append(f"{name} unusable")
            continue
        lines.append(f"{name} {hashlib.sha256(data).hexdigest()}")
    return "\n".join(lines).encode("utf-8")


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


def source_bytes(path: Path) -> bytes:
    """The source topic beside a translation (its state depends on it: drift); nothing for a
    source topic. Part of a translation's input hash, in the planner and in the worker."""
    source = source_of(path)
    if source is None:
        return b""
    try:
        return b"source:" + read_regular_file(source)
    except OSError:
        return b""
