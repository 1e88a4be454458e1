"""The catalogue: ``OUT/index.html``, the library grouped by category, each title linking
its PDF. Written atomically, and only when its content changes.

Imports: domain (through the manifest's entries), render (the template environment).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from handout_builder.output.store import file_sha256, write_atomic
from handout_builder.paths import TEMPLATES_DIR
from handout_builder.render.html import template_environment

if TYPE_CHECKING:  # the manifest imports this module (for template_sha256)
    from handout_builder.output.manifest import Entry

CATALOGUE_NAME = "index.html"
CATALOGUE_TEMPLATE = "catalogue.html.j2"  # shapes index.html only, so not part of input hashes


def template_sha256() -> str | None:
    """The catalogue template's SHA-256 (recorded in the manifest: a new template rewrites
    index.html without rendering any PDF again)."""
    return file_sha256(TEMPLATES_DIR / CATALOGUE_TEMPLATE)


def catalogue_html(entries: Iterable[Entry], brand_name: str | None) -> str:
    """``index.html``: the library grouped by category, each title linking its PDF."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in sorted(entries, key=lambda e: (e.category.casefold(), e.title.casefold(), e.id)):
        groups.setdefault(entry.category, []).append(asdict(entry) | {"href": quote(entry.output)})
    env = template_environment((TEMPLATES_DIR,))
    return env.get_template(CATALOGUE_TEMPLATE).render(
        brand_name=brand_name, groups=list(groups.items()),
        count=sum(len(g) for g in groups.values()),
    )

def write_catalogue(out_dir: Path, entries: Iterable[Entry], brand_name: str | None) -> None:
    """Write ``index.html`` (atomically) unless it already holds exactly this catalogue."""
    path = out_dir / CATALOGUE_NAME
    html = catalogue_html(entries, brand_name).encode("utf-8")
    if not path.is_file() or path.read_bytes() != html:
        write_atomic(path, html)
