"""PDF finishing: what WeasyPrint's tagged output lacks for PDF/UA-1 and PDF/A-3.

Most of it goes through WeasyPrint's public API (:mod:`handout_builder.render.pdf`): the embedded
source's name, MIME type (from the response of its own URL fetcher), relationship and dates
are :class:`weasyprint.Attachment` arguments, and the PDF/UA identification of archival
copies is added to the XMP packet by :func:`add_pdfua_identification`, which wraps
``DocumentMetadata.generate_rdf_metadata`` (a method meant to be overridden since
WeasyPrint 68).

What WeasyPrint cannot be asked for is done by :func:`finish`, which :mod:`handout_builder.render.pdf`
hands the PDF WeasyPrint has built (its ``pydyf`` objects, before they are written) through
WeasyPrint's ``finisher`` hook. These steps read and change WeasyPrint's and pydyf's internal
objects, so :func:`check_versions` refuses versions they were not written and tested for
(:data:`WEASYPRINT_VERSIONS`, :data:`PYDYF_VERSIONS`). Each step names the upstream issue
that would make it unnecessary:

* **Running header and footer become artifacts** (WeasyPrint issue #1836). WeasyPrint marks
  the text of page margin boxes as ``/Span`` content whose structure elements are never linked
  into the tree. A screen reader would meet that content nowhere (or, in some readers, on
  every page between two paragraphs). PDF/UA-1 (7.8) wants pagination artifacts: the marked
  content becomes ``/Artifact <</Type /Pagination>>``, its parent-tree entries ``null``, and
  the orphaned structure elements are replaced by ``null`` objects (never freed: see
  :func:`_null_object`).
* **Table header cells get a scope** (``/Scope /Column``: PDF/UA-1 7.5; WeasyPrint issue
  #2482).
* **Link annotations print** (the Print flag, bit 3), as PDF/UA-1 7.18.1 and PDF/A ask
  (WeasyPrint sets it for PDF/A only; PDF/UA work is gathered in WeasyPrint issue #2482).
* **Other-language elements carry their own ``/Lang``** (ISO 32000-1 14.9.2, PDF/UA-1 7.2;
  no upstream issue of its own yet: PDF/UA work is gathered in WeasyPrint issue #2482, and
  WeasyPrint's main branch of August 2026, commit 62c06ca, still writes ``/Lang`` in the
  catalogue only). WeasyPrint's tagging (``weasyprint/pdf/tags.py``) has no hook and keeps no
  link from a structure element to its HTML element, so :func:`record_languages` wraps the
  one function that makes both, ``_build_box_tree``: for each structure element it makes for a
  box whose HTML element has a ``lang`` attribute, it notes the element's object number and
  that tag (nothing in the PDF changes there). :func:`languages_on_elements` then writes
  ``/Lang`` on each noted element whose language differs from the one it inherits (the
  catalogue's, or an enclosing element's). A phrase marked in topic Markdown
  (``[...]{lang=es}``), the other languages' names on the last page and a notice in another
  language are all such elements.
* **Archival copies** (PDF/A-3): each associated file is listed once in the catalogue's
  ``/AF`` (WeasyPrint 70 lists it twice, WeasyPrint issue #2917), and the embedded source of
  a never-reviewed topic carries no date (WeasyPrint always writes one; the placeholder it
  was given is removed, so the same input gives the same bytes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from importlib.metadata import version
from typing import Any
from xml.etree import ElementTree

import pydyf  # pydyf only: WeasyPrint is imported by pdf.py, after Fontconfig is pinned

#: The WeasyPrint releases whose internal PDF objects :func:`finish` was written for and
#: tested with (major versions, inclusive; the same as ``pyproject.toml``). 68 brought the
#: public API :mod:`handout_builder.render.pdf` uses (``URLFetcher``, an overridable
#: ``generate_rdf_metadata``); 69 writes ``dc:description`` into PDF/A's XMP (#2681), without
#: which XMP and the document information disagree and an archival copy is not PDF/A.
WEASYPRINT_VERSIONS = (69, 70)
#: The same for pydyf (``(major, minor)``, inclusive): the object model and ``PDF.write``.
PYDYF_VERSIONS = ((0, 11), (0, 13))
UPSTREAM = "https://github.com/Kozea/WeasyPrint/issues"

#: Annotation flag "Print" (PDF 32000-1, table 165: bit 3).
PRINT_FLAG = 4

_PDFUA_EXTENSION = """\
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
  xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
  xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
 <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
  <pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
  <pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
  <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
  <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
   <pdfaProperty:name>part</pdfaProperty:name>
   <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
   <pdfaProperty:category>internal</pdfaProperty:category>
   <pdfaProperty:description>Indicates, which part of ISO 14289 standard is followed</pdfaProperty:description>
  </rdf:li></rdf:Seq></pdfaSchema:property>
 </rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"/>
"""


def _release(text: str, parts: int) -> tuple[int, ...]:
    """``"70.0"`` -> ``(70,)``; ``"0.13.0"`` -> ``(0, 13)`` (pre-release tags ignored)."""
    numbers = [int(m[0]) if (m := re.match(r"\d+", part)) else 0 for part in text.split(".")]
    return tuple((numbers + [0] * parts)[:parts])


def check_versions(weasyprint_version: str | None = None, pydyf_version: str | None = None) -> None:
    """Refuse WeasyPrint and pydyf versions whose internals :func:`finish` was not written for.

    A newer WeasyPrint may tag, number or write objects differently; finishing it blindly
    could give leaflets that only some PDF readers understand. Raises ``RuntimeError`` (an
    installation problem: ``pip install -e .`` installs supported versions).
    """
    found_wp = weasyprint_version or version("weasyprint")
    found_pydyf = pydyf_version or version("pydyf")
    low, high = WEASYPRINT_VERSIONS
    (plow, phigh) = PYDYF_VERSIONS
    if not low <= _release(found_wp, 1)[0] <= high or not (
        plow <= _release(found_pydyf, 2) <= phigh
    ):
        raise RuntimeError(
            f"make_handout's PDF finishing (handout_builder/pdf_finish.py) was written for "
            f"WeasyPrint {low} to {high} and pydyf {'.'.join(map(str, plow))} to "
            f"{'.'.join(map(str, phigh))}, and this environment has WeasyPrint {found_wp} "
            f"and pydyf {found_pydyf}. Install the supported versions (pip install -e .), or "
            f"port the finisher and run tests/test_readers.py; see {UPSTREAM}/1836, "
            f"{UPSTREAM}/2482 and {UPSTREAM}/2917 for what it works around."
        )


def finish(pdf: Any, *, archival: bool, dated_source: bool = True) -> None:
    """Apply every finishing step to ``pdf`` (a ``pydyf.PDF`` not yet written).

    ``dated_source`` is false when the embedded source has no review date (its placeholder
    dates are removed).
    """
    tree = list(_tree(pdf))  # walked once, for both steps that need it
    margin_content_to_artifacts(pdf, tree)
    languages_on_elements(pdf, tree)
    annotations_and_header_cells(pdf)
    if archival:
        associated_files_once(pdf)
        if not dated_source:
            undate_embedded_files(pdf)


# --------------------------------------------------------------------------------------
# Helpers on pydyf objects (references are bytes like b"12 0 R")
# --------------------------------------------------------------------------------------


def _number(reference: Any) -> int | None:
    if isinstance(reference, (bytes, str)):
        parts = reference.split()
        if len(parts) == 3 and parts[2] in (b"R", "R"):
            return int(parts[0])
    return None


def _resolve(pdf: Any, reference: Any) -> Any:
    number = _number(reference)
    return pdf.objects[number] if number is not None else reference


def _dictionaries(pdf: Any, type_name: str):
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == type_name:
            yield obj


# --------------------------------------------------------------------------------------
# Tagging
# --------------------------------------------------------------------------------------


def _tree(pdf: Any) -> Iterator[tuple[int, Any, int | None]]:
    """(object number, element, its parent's number or None) of each structure element
    linked into the tree from its root, each once, parents before their children, in
    document order."""
    root = _resolve(pdf, pdf.catalog.get("StructTreeRoot"))
    if not isinstance(root, dict):
        return
    objects = pdf.objects
    seen: set[int] = set()
    stack = [(kid, None) for kid in reversed(root.get("K", []))]
    while stack:
        reference, parent = stack.pop()
        number = _number(reference)
        if number is None or number in seen:
            continue
        element = objects[number]
        if not isinstance(element, dict) or element.get("Type") != "/StructElem":
            continue
        seen.add(number)
        yield number, element, parent
        kids = element.get("K", [])
        # only references can be elements (the numbers are marked-content ids)
        stack.extend((kid, number) for kid in reversed(kids if isinstance(kids, list) else [kids])
                     if isinstance(kid, (bytes, str)))


def margin_content_to_artifacts(pdf: Any, tree: list[tuple[int, Any, int | None]] | None = None
                                ) -> None:
    """Turn marked content whose structure element is not in the tree into artifacts.
    ``tree``: what :func:`_tree` gives, if already walked."""
    root = _resolve(pdf, pdf.catalog.get("StructTreeRoot"))
    if not isinstance(root, dict):
        return
    reachable = {number for number, _, _ in (_tree(pdf) if tree is None else tree)}
    parent_tree = _resolve(pdf, root["ParentTree"])
    nums = parent_tree["Nums"]
    page_numbers = pdf.pages["Kids"][::3]  # pydyf keeps Kids flat: number, 0, "R", ...
    orphans: set[int] = set()
    for key, value in zip(nums[::2], nums[1::2]):
        if not isinstance(value, list) or key >= len(page_numbers):
            continue  # annotations map to one element, pages to an array by MCID
        orphan_mcids = set()
        for mcid, element_ref in enumerate(value):
            number = _number(element_ref)
            if number is not None and number not in reachable:
                orphan_mcids.add(mcid)
                orphans.add(number)
                value[mcid] = "null"
        if orphan_mcids:
            page = pdf.objects[page_numbers[key]]
            _mark_as_artifacts(_resolve(pdf, page["Contents"]), orphan_mcids)
    for number in sorted(orphans):
        pdf.objects[number] = _null_object(number)


class _Null(pydyf.Object):
    data = b"null"


def _null_object(number: int) -> Any:
    """An indirect object whose value is ``null``, to take a dropped object's number.

    The dropped structure elements are not marked free: pydyf (0.11 to 0.13 at least) leaves a
    free object out of the object stream but still gives it a compressed entry in the
    cross-reference stream, so every later compressed object would point at its neighbour's
    slot, and PDFium and poppler would read the wrong objects. A ``null`` object keeps the
    numbering whole: a reference to it, had one been left, means "no object" (ISO 32000-1,
    7.3.9), exactly as a free object would.
    """
    null = _Null()
    null.number = number
    return null


def _mark_as_artifacts(stream: Any, mcids: set[int]) -> None:
    """Each ``/Tag <<... /MCID n>> BDC`` with ``n`` in ``mcids`` becomes a pagination
    artifact (pydyf keeps the tag, the properties and ``BDC`` as three items of the list)."""
    ops = stream.stream
    end = len(ops)
    at = 2  # the first place a BDC can close a sequence
    while True:
        try:
            at = ops.index(b"BDC", at, end)  # the search runs in C: pages hold many items
        except ValueError:
            return
        props = ops[at - 1]
        if isinstance(props, dict) and props.get("MCID") in mcids:
            ops[at - 2] = "/Artifact"
            ops[at - 1] = pydyf.Dictionary({"Type": "/Pagination"})
        at += 1


#: Where :func:`record_languages` notes, on the ``pydyf.PDF`` being built, the ``lang`` of
#: the HTML element behind each structure element (object number -> tag).
_LANGUAGES = "handout_languages"
#: Boxes whose structure elements belong to their children (the document's language is the
#: catalogue's ``/Lang``): WeasyPrint yields their children's elements, not their own.
_NOT_OWN = ("html", "body")


def record_languages(tags: Any) -> None:
    """Wrap ``tags._build_box_tree`` (``tags`` is the module ``weasyprint.pdf.tags``) so that
    every structure element made for a box whose HTML element has its own ``lang`` is noted
    with that tag, for :func:`languages_on_elements`. Installed once (the wrapper keeps no
    state: what it notes lives on each PDF being built); it calls WeasyPrint's own function
    for every box, so the tree and its order are WeasyPrint's. Raises ``RuntimeError`` if
    the function is missing (an unsupported WeasyPrint: :func:`check_versions`)."""
    build = getattr(tags, "_build_box_tree", None)
    if build is None or not callable(build):
        raise RuntimeError("weasyprint.pdf.tags._build_box_tree is missing: this WeasyPrint is "
                           "not one make_handout's PDF finishing supports (check_versions)")
    if getattr(build, "handout_languages", False):
        return

    def build_box_tree(box: Any, parent: Any, pdf: Any, *args: Any, **kwargs: Any) -> Any:
        element = getattr(box, "element", None)  # an absolute placeholder passes it through
        lang = element.get("lang") if element is not None else None
        if not lang or getattr(box, "element_tag", None) in _NOT_OWN:
            yield from build(box, parent, pdf, *args, **kwargs)  # most boxes: nothing to note
            return
        for made in build(box, parent, pdf, *args, **kwargs):
            if getattr(made, "number", None) is not None:
                pdf.__dict__.setdefault(_LANGUAGES, {}).setdefault(made.number, lang.strip())
            yield made

    build_box_tree.handout_languages = True  # type: ignore[attr-defined]
    tags._build_box_tree = build_box_tree


def _text(value: Any) -> str:
    return str(value.string if isinstance(value, pydyf.String) else value or "")


def languages_on_elements(pdf: Any, tree: list[tuple[int, Any, int | None]] | None = None
                          ) -> None:
    """``/Lang`` on every structure element whose HTML element's language differs from the
    language it inherits (its nearest ancestor's, else the catalogue's), from what
    :func:`record_languages` noted; a redundant one is left out. ``tree``: what
    :func:`_tree` gives, if already walked (before any step changed the tree)."""
    noted: dict[int, str] = pdf.__dict__.get(_LANGUAGES, {})
    if not noted:
        return
    document = _text(pdf.catalog.get("Lang")).lower()
    language: dict[int, str] = {}  # each element's language, as a reader works it out
    for number, element, parent in _tree(pdf) if tree is None else tree:
        inherited = document if parent is None else language[parent]
        own = noted.get(number)
        if own and own.lower() != inherited:
            element["Lang"] = pydyf.String(own)
            inherited = own.lower()
        language[number] = inherited


def annotations_and_header_cells(pdf: Any) -> None:
    """Two steps, in one pass over the objects (each object is one or the other, or neither):

    * every link annotation prints (the Print flag, as PDF/UA-1 7.18.1 and PDF/A ask);
    * every table header cell says which cells it heads (PDF/UA-1 7.5: ``/Scope`` in its
      Table attributes). WeasyPrint links cells to headers by ``/Headers`` and ``/ID`` but
      writes no scope (WeasyPrint issue #2482); a leaflet's tables are Markdown tables, whose
      only header cells are the first row's, so each heads its column.
    """
    for obj in pdf.objects:
        if not isinstance(obj, dict):
            continue
        kind = obj.get("Type")
        if kind == "/Annot":
            obj["F"] = PRINT_FLAG
        elif kind == "/StructElem" and obj.get("S") == "/TH":
            attributes = obj.get("A")
            if not isinstance(attributes, dict):
                attributes = obj["A"] = pydyf.Dictionary({"O": "/Table"})
            attributes.setdefault("Scope", "/Column")


# --------------------------------------------------------------------------------------
# Archival (PDF/A-3)
# --------------------------------------------------------------------------------------


def add_pdfua_identification(
    generate_rdf_metadata: Callable[..., bytes],
) -> Callable[..., bytes]:
    """Wrap ``DocumentMetadata.generate_rdf_metadata``: its RDF plus ``pdfuaid:part=1``.

    The PDF/A extension schema that declares the ``pdfuaid`` namespace comes with it (PDF/A
    allows only predefined schemas otherwise). Both go inside WeasyPrint's one ``rdf:RDF``
    element, where every XMP reader looks.
    """
    addition = _PDFUA_EXTENSION.encode()
    marker = b"</rdf:RDF>"

    def generate(*args: Any, **kwargs: Any) -> bytes:
        rdf = generate_rdf_metadata(*args, **kwargs)
        if not rdf.rstrip().endswith(marker) or rdf.count(marker) != 1:
            raise RuntimeError("unexpected XMP from WeasyPrint: no single closing </rdf:RDF>")
        extended = rdf.replace(marker, addition + marker)
        ElementTree.fromstring(extended)  # still well-formed
        return extended

    return generate


def associated_files_once(pdf: Any) -> None:
    """Each associated file once in the catalogue's ``/AF`` (WeasyPrint issue #2917)."""
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


def undate_embedded_files(pdf: Any) -> None:
    """Remove the dates of embedded files (WeasyPrint writes the time of the render when
    given none: the caller gives a placeholder, which is removed here)."""
    for filespec in _dictionaries(pdf, "/Filespec"):
        params = _resolve(pdf, filespec["EF"]["F"]).extra.get("Params", {})
        params.pop("CreationDate", None)
        params.pop("ModDate", None)
