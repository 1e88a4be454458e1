"""The EHR-ready index of a build: a FHIR R4 Bundle of DocumentReference resources
(``OUT/leaflets.fhir.json``) and the same as CSV for systems without FHIR
(``OUT/leaflets.csv``), one entry per leaflet, from the manifest's entries.

Written by ``build --index-base URL``: each leaflet's address is its path under ``OUT``
relative to that base (where the clinic publishes ``OUT``). Nothing here depends on the date
or the machine: the same build gives the same bytes.

Each DocumentReference (FHIR R4, 4.0.1): ``status`` current; ``docStatus`` final for a current
medical review, preliminary for a watermarked proof; ``type`` LOINC 69730-0 "Instructions"
(text "Patient education"); ``category`` LOINC 34895-3 "Education note" and the library's
category as text; ``description`` the title; ``language``; ``content[0].attachment``:
``contentType`` application/pdf, ``language``, ``url``, ``size``, ``hash`` (the SHA-1 of the
PDF, base64, as FHIR's Attachment.hash requires), ``title``, ``creation`` (the review date);
``context.period`` from the review date to the next review; ``context.event`` the topic's
clinical codes (system URI and code).

Imports: domain, output.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from handout_builder.domain.codes import FHIR_SYSTEMS
from handout_builder.domain.personal import COMMAND_LINE
from handout_builder.domain.problems import InvalidOption, Problem, UserError
from handout_builder.output.manifest import Entry, entry_file
from handout_builder.output.store import write_atomic

FHIR_INDEX_NAME = "leaflets.fhir.json"
CSV_INDEX_NAME = "leaflets.csv"
LOINC = "http://loinc.org"
#: LOINC's document type for patient instructions, and its class for education notes.
TYPE_INSTRUCTIONS = {"system": LOINC, "code": "69730-0", "display": "Instructions"}
CATEGORY_EDUCATION = {"system": LOINC, "code": "34895-3", "display": "Education note"}
CSV_COLUMNS = ("id", "title", "language", "category", "brand", "variant", "file", "url",
               "pages", "bytes", "sha256", "sha1", "review_state", "reviewed", "next_review",
               "codes")
_BASE = re.compile(r"https?://[^\s<>\"'\\]+")


def index_base(text: str) -> str:
    """The base address the clinic publishes OUT under, ending with ``/``; raises
    :class:`InvalidOption` for anything but an http(s) address."""
    if not _BASE.fullmatch(text) or not text.isprintable():
        raise InvalidOption(Problem(
            COMMAND_LINE, "This is not a web address to publish the leaflets under.",
            "Give the address OUT is published at, starting with https://, e.g. "
            "https://leaflets.example.org/riverside/", field="--index-base"))
    return text if text.endswith("/") else text + "/"


def leaflet_url(base: str, entry: Entry) -> str:
    return base + quote(entry.output)


def sha1_base64(out_dir: Path, entry: Entry) -> str:
    """The PDF's SHA-1, base64: FHIR's ``Attachment.hash``."""
    digest = hashlib.sha1(entry_file(out_dir, entry).read_bytes(), usedforsecurity=False)
    return base64.b64encode(digest.digest()).decode("ascii")


def _resource_id(entry: Entry) -> str:
    """A FHIR id ([A-Za-z0-9-.], at most 64): readable where it fits, else a digest."""
    readable = ".".join(p for p in (entry.id, entry.brand, entry.language, entry.variant) if p)
    if entry.brand is None:
        readable = f"{entry.id}.{entry.language}" + entry.output[len(entry.id):-len(".pdf")]
    if re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", readable):
        return readable
    return "leaflet-" + hashlib.sha256(entry.output.encode()).hexdigest()[:40]


def document_reference(entry: Entry, base: str, sha1: str) -> dict[str, object]:
    """One leaflet as a FHIR R4 DocumentReference (a dict, in FHIR's JSON form)."""
    attachment: dict[str, object] = {
        "contentType": "application/pdf",
        "language": entry.language,
        "url": leaflet_url(base, entry),
        "size": entry.bytes,
        "hash": sha1,
        "title": entry.title,
    }
    if entry.reviewed:
        attachment["creation"] = entry.reviewed
    proof = entry.watermark is not None
    resource: dict[str, object] = {
        "resourceType": "DocumentReference",
        "id": _resource_id(entry),
        "language": entry.language,
        "status": "current",
        "docStatus": "preliminary" if proof else "final",
        "type": {"coding": [TYPE_INSTRUCTIONS], "text": "Patient education"},
        "category": [{"coding": [CATEGORY_EDUCATION]}, {"text": entry.category}],
        "description": entry.title,
        "content": [{"attachment": attachment}],
    }
    context: dict[str, object] = {}
    if entry.codes:
        context["event"] = [
            {"coding": [{"system": FHIR_SYSTEMS[system], "code": code}]}
            for system, _, code in (token.partition("|") for token in entry.codes)
        ]
    if entry.reviewed:
        period = {"start": entry.reviewed}
        if entry.next_review:
            period["end"] = entry.next_review
        context["period"] = period
    if context:
        resource["context"] = context
    return resource


def _ordered(entries: Iterable[Entry]) -> list[Entry]:
    return sorted((e for e in entries if e.sha1), key=lambda e: e.output)


def with_sha1(out_dir: Path, entries: Iterable[Entry]) -> list[Entry]:
    """The entries, each with its PDF's SHA-1 (read from the PDF when the manifest has none:
    once, then the manifest keeps it; None when the PDF cannot be read)."""
    found = []
    for entry in entries:
        if not entry.sha1:
            try:
                entry = replace(entry, sha1=sha1_base64(out_dir, entry))
            except (OSError, UserError):
                pass  # no PDF to describe: left out of the index
        found.append(entry)
    return found


def fhir_bundle(entries: Iterable[Entry], base: str) -> bytes:
    """The FHIR R4 Bundle (type collection) of every leaflet (entries :func:`with_sha1`)."""
    lines = ",\n".join(
        "    " + json.dumps({"resource": document_reference(entry, base, str(entry.sha1))},
                            ensure_ascii=False)
        for entry in _ordered(entries))  # one leaflet a line: JSON's fast encoder, readable
    head = '{\n  "resourceType": "Bundle",\n  "type": "collection",\n  "entry": ['
    return (head + ("\n" + lines + "\n  " if lines else "") + "]\n}\n").encode("utf-8")


def _cell(value: object) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted with a ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_index(entries: Iterable[Entry], base: str) -> bytes:
    """The same index as CSV (RFC 4180, UTF-8, a header row; codes separated by spaces)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in _ordered(entries):
        row = {
            "id": entry.id, "title": entry.title, "language": entry.language,
            "category": entry.category, "brand": entry.brand, "variant": entry.variant,
            "file": entry.output, "url": leaflet_url(base, entry), "pages": entry.pages,
            "bytes": entry.bytes, "sha256": entry.sha256, "sha1": entry.sha1,
            "review_state": entry.review_state, "reviewed": entry.reviewed,
            "next_review": entry.next_review, "codes": " ".join(entry.codes),
        }
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return buffer.getvalue().encode("utf-8")


def write_indexes(out_dir: Path, entries: Iterable[Entry], base: str) -> None:
    """Write both indexes (atomically, only when their bytes change); ``entries`` carry their
    SHA-1 (:func:`with_sha1`)."""
    entries = list(entries)
    for name, data in ((FHIR_INDEX_NAME, fhir_bundle(entries, base)),
                       (CSV_INDEX_NAME, csv_index(entries, base))):
        path = out_dir / name
        if not path.is_file() or path.read_bytes() != data:
            write_atomic(path, data)
