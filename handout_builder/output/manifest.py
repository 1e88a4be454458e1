"""The manifest: ``OUT/manifest.json``, one entry per published handout (what it is, its
review state, the hash of everything that shaped it), read back by the next build.

Imports: domain, output (store, catalogue).
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from handout_builder import __version__
from handout_builder.domain.library import BRAND_NAME_PATTERN, VARIANTS
from handout_builder.domain.models import ID_PATTERN, LANGUAGE_PATTERN
from handout_builder.domain.options import RenderOptions
from handout_builder.output.catalogue import template_sha256
from handout_builder.output.store import file_sha256, output_path

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 2  # 2: review status, next review date and watermark per handout


@dataclass(frozen=True)
class Entry:
    """One handout in ``manifest.json``."""

    id: str
    source: str  # relative to the library folder, with forward slashes
    title: str
    category: str
    language: str
    output: str  # file name inside the output folder
    pages: int
    bytes: int
    sha256: str  # of the PDF
    input_hash: str  # of everything that shaped the PDF (see shared_fingerprint)
    reviewed: str | None  # the review date, YYYY-MM-DD, or null
    review_state: str  # current, due-soon, overdue, never-reviewed, draft, withdrawn, future-date
    status: str = "approved"  # the topic's status field
    next_review: str | None = None  # YYYY-MM-DD, or null when never reviewed
    watermark: str | None = None  # the watermark printed (a catalogue key), or null
    example: bool = False  # an example topic (always printed, marked EXAMPLE)
    #: The topic's clinical codes, ``SYSTEM|CODE`` (e.g. ``ICD-10-CM|E11.9``); written only
    #: when there are some, so a library without codes keeps the manifest it had.
    codes: tuple[str, ...] = ()
    #: A matrix build (several brands, languages, variants): the brand's name (its folder in
    #: OUT) and the variant (standard, large-print, archival); null (and not written) otherwise.
    brand: str | None = None
    variant: str | None = None
    #: The PDF's SHA-1, base64 (FHIR's Attachment.hash), kept by builds that write the index.
    sha1: str | None = None

#: Fields written only when they differ from their default (added after format 2 began).
OPTIONAL_FIELDS: dict[str, object] = {"codes": (), "brand": None, "variant": None, "sha1": None}


def entry_key(entry: Entry) -> str:
    """What identifies an entry in a build: its source; in a matrix build its brand, variant
    and source (one topic file gives one leaflet per brand and variant)."""
    return entry.source if entry.brand is None else f"{entry.brand}|{entry.variant}|{entry.source}"


def matrix_folder(brand: str, language: str) -> str:
    """Where a matrix build writes a brand's leaflets in one language: ``<brand>/<language>``."""
    return f"{brand}/{language}"


def entry_dict(entry: Entry) -> dict[str, object]:
    """One entry as ``manifest.json`` holds it."""
    data = {name: getattr(entry, name) for name in _FIELD_NAMES}  # asdict, without its deep copies
    for name, default in OPTIONAL_FIELDS.items():
        if data[name] == default:
            del data[name]
        elif isinstance(data[name], tuple):
            data[name] = list(data[name])
    return data


_FIELD_NAMES = tuple(f.name for f in fields(Entry))


def entry_from(raw: dict[str, object]) -> Entry:
    """An entry read back from ``manifest.json`` (unknown keys ignored)."""
    names = {f.name for f in fields(Entry)}
    values = {k: v for k, v in raw.items() if k in names}
    if "codes" in values:
        codes = values["codes"]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ValueError("codes is not a list of text")
        values["codes"] = tuple(codes)
    return Entry(**values)  # type: ignore[arg-type]

def read_manifest(out_dir: Path) -> dict[str, Entry]:
    """The previous build's entries by :func:`entry_key` (the source, outside a matrix build);
    empty when there is none or it is unreadable."""
    try:
        data = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        if data.get("format") != MANIFEST_FORMAT:
            return {}
        entries = [entry_from(raw) for raw in data["handouts"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}  # no manifest, or not ours: everything is built again
    # only "<id>[.variant].pdf" names: an edited manifest cannot make us read or delete elsewhere
    return {entry_key(entry): entry for entry in entries if safe_output(entry)}

_VARIANT_SUFFIXES = {
    RenderOptions(large_print=lp, archival=ar).file_suffix for lp in (False, True) for ar in (False, True)
}

def _folder(entry: Entry) -> str:
    """The folder of the entry's PDF inside OUT, with its trailing slash ("" outside a matrix)."""
    return "" if entry.brand is None else matrix_folder(entry.brand, entry.language) + "/"


def safe_output(entry: Entry) -> bool:
    if entry.brand is not None and not (
        isinstance(entry.brand, str) and re.fullmatch(BRAND_NAME_PATTERN, entry.brand)
        and isinstance(entry.language, str) and re.fullmatch(LANGUAGE_PATTERN, entry.language)
        and entry.variant in VARIANTS
    ):
        return False
    if not (isinstance(entry.output, str) and isinstance(entry.id, str)):
        return False
    folder = _folder(entry)
    name = entry.output[len(folder):]
    return (
        entry.output.startswith(folder)
        and re.fullmatch(ID_PATTERN, entry.id) is not None
        and name.startswith(entry.id)
        and name[len(entry.id):] in _VARIANT_SUFFIXES
    )

def entry_file(out_dir: Path, entry: Entry) -> Path:
    """The entry's PDF, checked to be inside ``out_dir`` (and its folder)."""
    folder = _folder(entry)
    suffix = entry.output[len(folder) + len(entry.id):]
    return output_path(out_dir / folder if folder else out_dir, entry.id, suffix=suffix)

def is_intact(out_dir: Path, entry: Entry, written_before: int | None = None) -> bool:
    """The PDF is there and is the one the manifest describes.

    ``written_before``: the manifest's modification time (ns). A PDF of the recorded size
    that has not been modified since the manifest was written is taken as intact without
    reading it (as make and rsync do); any other is hashed (SHA-256). At 100,000 leaflets
    this saves reading every PDF on every build (docs/scale.md, "The manifest at scale")."""
    if not safe_output(entry):
        return False
    if written_before is not None:
        try:  # the name is checked (safe_output); lstat reads no content and follows no link
            info = os.lstat(out_dir / entry.output)
        except OSError:
            return False
        if (stat.S_ISREG(info.st_mode) and info.st_size == entry.bytes
                and info.st_mtime_ns < written_before):
            return True
    return file_sha256(entry_file(out_dir, entry)) == entry.sha256


def manifest_time(out_dir: Path) -> int | None:
    """When ``manifest.json`` was last written (ns), or None."""
    try:
        return (out_dir / MANIFEST_NAME).stat().st_mtime_ns
    except OSError:
        return None

def manifest_bytes(entries: Iterable[Entry], brand_name: str | None) -> bytes:
    """The manifest. A matrix build's has one handout per line (JSON's C encoder: at 100,000
    entries the indented form takes about twice the CPU time, docs/scale.md); a one-brand
    build's is indented as it always was."""
    ordered = sorted(entries, key=_order)
    data = {
        "format": MANIFEST_FORMAT,
        "generator": f"make_handout {__version__}",
        "brand": brand_name,
        # when the catalogue's template changes, the manifest changes and index.html is redone
        "catalogue_template": template_sha256(),
        "handouts": [],
    }
    if not any(entry.brand is not None for entry in ordered):
        data["handouts"] = [entry_dict(entry) for entry in ordered]
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    head = json.dumps(data, indent=2, ensure_ascii=False)[: -len("[]\n}")]
    lines = ",\n".join("    " + json.dumps(entry_dict(entry), ensure_ascii=False)
                        for entry in ordered)
    return (head + "[\n" + lines + "\n  ]\n}\n").encode("utf-8")

def _order(entry: Entry) -> tuple[str, str, str, str]:
    return (entry.id, entry.source, entry.brand or "", entry.output)


def previous_brand_name(out_dir: Path) -> str | None:
    try:
        return json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))["brand"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
