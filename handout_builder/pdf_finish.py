"""PDF finishing: what WeasyPrint's tagged output lacks for PDF/UA-1 and PDF/A-3.

:mod:`handout_builder.pdf` hands the PDF that WeasyPrint has built (its ``pydyf`` objects,
before they are written) to :func:`finish` through WeasyPrint's ``finisher`` hook. The
changes are small, named and deterministic:

* **Running header and footer become artifacts.** WeasyPrint marks the text of page margin
  boxes as ``/Span`` content whose structure elements are never linked into the tree. A
  screen reader would meet that content nowhere (or, in some readers, on every page between
  two paragraphs). PDF/UA-1 (7.8) wants pagination artifacts: the marked content becomes
  ``/Artifact <</Type /Pagination>>``, its parent-tree entries ``null``, and the orphaned
  structure elements are dropped.
* **Link annotations print** (the Print flag, bit 3), as PDF/UA-1 7.18.1 and PDF/A ask.
* **Archival copies** (PDF/A-3) also get: the PDF/UA identification in the XMP metadata
  beside the PDF/A one (with the PDF/A extension schema that declares it), the embedded
  source with a fixed MIME type and, as its modification date, the date of the topic's
  medical review (no date at all for an unreviewed topic; never the time of the render, so
  the same input gives the same bytes), and no duplicate entries in the catalogue's ``/AF``.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from xml.etree import ElementTree

#: Annotation flag "Print" (PDF 32000-1, table 165: bit 3).
PRINT_FLAG = 4
#: MIME type written for the embedded topic source (RFC 9512).
SOURCE_MIME_NAME = "/application#2fyaml"

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


def finish(pdf: Any, *, archival: bool, source_date: date | None = None) -> None:
    """Apply every finishing step to ``pdf`` (a ``pydyf.PDF`` not yet written)."""
    margin_content_to_artifacts(pdf)
    annotations_print(pdf)
    if archival:
        declare_pdfua_in_xmp(pdf)
        fix_embedded_files(pdf, source_date)


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


def _reachable_elements(pdf: Any) -> set[int]:
    """Object numbers of the structure elements linked into the tree from its root."""
    root = _resolve(pdf, pdf.catalog.get("StructTreeRoot"))
    seen: set[int] = set()
    stack = list(root.get("K", [])) if isinstance(root, dict) else []
    while stack:
        number = _number(stack.pop())
        if number is None or number in seen:
            continue
        element = pdf.objects[number]
        if not isinstance(element, dict) or element.get("Type") != "/StructElem":
            continue
        seen.add(number)
        kids = element.get("K", [])
        stack.extend(kids if isinstance(kids, list) else [kids])
    return seen


def margin_content_to_artifacts(pdf: Any) -> None:
    """Turn marked content whose structure element is not in the tree into artifacts."""
    root = _resolve(pdf, pdf.catalog.get("StructTreeRoot"))
    if not isinstance(root, dict):
        return
    reachable = _reachable_elements(pdf)
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


def _null_object(number: int) -> Any:
    """An indirect object whose value is ``null``, to take a dropped object's number.

    The dropped structure elements are not marked free: pydyf (0.11 to 0.13 at least) leaves a
    free object out of the object stream but still gives it a compressed entry in the
    cross-reference stream, so every later compressed object would point at its neighbour's
    slot, and PDFium and poppler would read the wrong objects. A ``null`` object keeps the
    numbering whole: a reference to it, had one been left, means "no object" (ISO 32000-1,
    7.3.9), exactly as a free object would.
    """
    import pydyf

    class Null(pydyf.Object):
        data = b"null"

    null = Null()
    null.number = number
    return null


def _mark_as_artifacts(stream: Any, mcids: set[int]) -> None:
    import pydyf

    ops = stream.stream
    for i in range(len(ops) - 2):
        props = ops[i + 1]
        if ops[i + 2] == b"BDC" and isinstance(props, dict) and props.get("MCID") in mcids:
            ops[i] = "/Artifact"
            ops[i + 1] = pydyf.Dictionary({"Type": "/Pagination"})


def annotations_print(pdf: Any) -> None:
    for annotation in _dictionaries(pdf, "/Annot"):
        annotation["F"] = PRINT_FLAG


# --------------------------------------------------------------------------------------
# Archival (PDF/A-3)
# --------------------------------------------------------------------------------------


def declare_pdfua_in_xmp(pdf: Any) -> None:
    """Add ``pdfuaid:part=1`` (and its PDF/A extension schema) to the XMP metadata."""
    stream = _resolve(pdf, pdf.catalog["Metadata"])
    content = b"".join(
        part if isinstance(part, bytes) else str(part).encode() for part in stream.stream
    )
    marker = b"</rdf:RDF>"
    assert content.count(marker) == 1, "unexpected XMP layout from WeasyPrint"
    addition = _PDFUA_EXTENSION.encode()
    ElementTree.fromstring(  # the addition must be well-formed inside rdf:RDF
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        + addition + marker
    )
    stream.stream = [content.replace(marker, addition + marker)]


def fix_embedded_files(pdf: Any, source_date: date | None) -> None:
    """Fixed MIME type and dates, and each associated file listed once in ``/AF``."""
    import pydyf

    for filespec in _dictionaries(pdf, "/Filespec"):
        embedded = _resolve(pdf, filespec["EF"]["F"])
        embedded.extra["Subtype"] = SOURCE_MIME_NAME
        params = embedded.extra.get("Params", {})
        params.pop("CreationDate", None)
        params.pop("ModDate", None)
        if source_date is not None:
            params["ModDate"] = pydyf.String(source_date.strftime("D:%Y%m%d000000Z"))
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))
