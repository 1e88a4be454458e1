"""What three independent PDF readers see in a leaflet: pikepdf, PDFium and poppler.

pikepdf (qpdf) finds every object by its number and forgives a broken cross-reference
stream; PDFium (Chrome, Edge; through ``pypdfium2``) and poppler (Evince, Okular; through
``pdfinfo``, ``pdftohtml`` and ``pdftotext``) follow the file's own offsets and indexes, as
the readers patients use do. Each function returns the same :class:`View`, so a test can
compare them field by field.

PDFium builds its structure tree one page at a time (the elements whose marked content is on
the page, and their ancestors). An element is identified across pages by its path from the
root (the index of each step in its parent's ``/K``), which PDFium keeps: the union over the
pages is the document's tree.
"""

from __future__ import annotations

import ctypes
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.lazy import lazy
from tests.structure import read_tree

pypdfium2 = lazy("pypdfium2")

#: The roles a screen reader navigates by, counted in every reader.
ROLES = ("H1", "H2", "L", "LI", "Link", "Figure")


@dataclass
class View:
    reader: str
    title: str
    author: str
    lang: str | None  # None: this reader does not report it
    pages: int
    outline: list[tuple[int, str]]  # (depth, title), in order
    roles: dict[str, int]
    figure_alts: list[str] | None = None  # None: this reader does not report alt text
    warnings: list[str] = field(default_factory=list)  # what the reader complained about


def _counts(roles) -> dict[str, int]:
    counter = Counter(roles)
    return {role: counter[role] for role in ROLES}


# --------------------------------------------------------------------------------------
# pikepdf (the reference)
# --------------------------------------------------------------------------------------


def pikepdf_view(path: Path) -> View:
    tree = read_tree(path)
    pdf = tree.pdf
    try:
        outline: list[tuple[int, str]] = []
        with pdf.open_outline() as opened:
            stack = [(0, item) for item in reversed(opened.root)]
            while stack:
                depth, item = stack.pop()
                outline.append((depth, item.title))
                stack.extend((depth + 1, kid) for kid in reversed(item.children))
        elements = list(tree.root.walk())
        return View(
            reader="pikepdf",
            title=str(pdf.docinfo.get("/Title", "")),
            author=str(pdf.docinfo.get("/Author", "")),
            lang=str(pdf.Root.get("/Lang", "")) or None,
            pages=len(pdf.pages),
            outline=outline,
            roles=_counts(e.role for e in elements),
            figure_alts=[str(e.obj.get("/Alt", "")) for e in elements if e.role == "Figure"],
            warnings=[str(w) for w in pdf.check_pdf_syntax()],
        )
    finally:
        pdf.close()


# --------------------------------------------------------------------------------------
# PDFium
# --------------------------------------------------------------------------------------


def _utf16(function, *args) -> str:
    """Call a PDFium getter that fills a UTF-16LE buffer (size query first)."""
    size = function(*args, None, 0)
    if size <= 2:
        return ""
    buffer = (ctypes.c_ushort * (size // 2))()
    function(*args, buffer, size)
    return bytes(buffer)[: size - 2].decode("utf-16-le")


def pdfium_view(path: Path) -> View:
    pdfium_c = pypdfium2.raw
    pdf = pypdfium2.PdfDocument(path)
    try:
        meta = pdf.get_metadata_dict()
        outline = [(item.level, item.get_title()) for item in pdf.get_toc()]
        elements: dict[tuple[int, ...], tuple[str, str]] = {}
        warnings: list[str] = []
        if not pdfium_c.FPDFCatalog_IsTagged(pdf.raw):
            warnings.append("PDFium: the document is not tagged")
        for index in range(len(pdf)):
            page = pdf[index]
            if pdfium_c.FPDFPage_CountObjects(page.raw) <= 0:
                warnings.append(f"PDFium: page {index + 1} has no content")
            tree = pdfium_c.FPDF_StructTree_GetForPage(page.raw)
            if not tree:
                warnings.append(f"PDFium: page {index + 1} has no structure tree")
                page.close()
                continue
            try:
                stack = []
                for i in range(pdfium_c.FPDF_StructTree_CountChildren(tree)):
                    kid = pdfium_c.FPDF_StructTree_GetChildAtIndex(tree, i)
                    if kid:
                        stack.append(((i,), kid))
                while stack:
                    where, element = stack.pop()
                    role = _utf16(pdfium_c.FPDF_StructElement_GetType, element)
                    alt = _utf16(pdfium_c.FPDF_StructElement_GetAltText, element)
                    if elements.setdefault(where, (role, alt)) != (role, alt):
                        warnings.append(f"PDFium: element {where} differs between pages")
                    for i in range(pdfium_c.FPDF_StructElement_CountChildren(element)):
                        kid = pdfium_c.FPDF_StructElement_GetChildAtIndex(element, i)
                        if kid:
                            stack.append(((*where, i), kid))
            finally:
                pdfium_c.FPDF_StructTree_Close(tree)
                page.close()
        ordered = [elements[where] for where in sorted(elements)]
        return View(
            reader="PDFium",
            title=meta.get("Title", ""),
            author=meta.get("Author", ""),
            lang=_utf16(pdfium_c.FPDFCatalog_GetLanguage, pdf.raw) or None,
            pages=len(pdf),
            outline=outline,
            roles=_counts(role for role, _ in ordered),
            figure_alts=[alt for role, alt in ordered if role == "Figure"],
            warnings=warnings,
        )
    finally:
        pdf.close()


def pdfium_text(path: Path) -> str:
    pdf = pypdfium2.PdfDocument(path)
    try:
        texts = []
        for page in pdf:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
        return "\n".join(texts)
    finally:
        pdf.close()


# --------------------------------------------------------------------------------------
# poppler
# --------------------------------------------------------------------------------------


def page_texts(path: Path) -> list[str]:
    """The text of each page as PDFium extracts it, white space folded."""
    pdf = pypdfium2.PdfDocument(path)
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in pdf]
    finally:
        pdf.close()


def _run(*command: str | Path) -> tuple[str, list[str]]:
    """Run a poppler tool; its output and every line it printed on stderr."""
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=60
    )
    problems = [line for line in done.stderr.splitlines() if line.strip()]
    if done.returncode:
        problems.append(f"{command[0]} exited with {done.returncode}")
    return done.stdout, [f"{command[0]}: {line}" for line in problems]


_STRUCT_LINE = re.compile(r"^(\s*)([A-Za-z][A-Za-z0-9]*)(?::| \(|$)")


def poppler_view(path: Path) -> View:
    info, warnings = _run("pdfinfo", path)
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in info.splitlines())
    )
    struct, more = _run("pdfinfo", "-struct", path)
    warnings += more
    roles = [m[2] for line in struct.splitlines() if (m := _STRUCT_LINE.match(line))]
    xml, more = _run("pdftohtml", "-xml", "-i", "-q", "-stdout", path)
    warnings += more
    outline: list[tuple[int, str]] = []
    depth = -1
    for tag in re.finditer(r"<outline>|</outline>|<item[^>]*>([^<]*)</item>", xml):
        if tag[0] == "<outline>":
            depth += 1
        elif tag[0] == "</outline>":
            depth -= 1
        else:
            outline.append((depth, _unescape(tag[1])))
    if fields.get("Tagged") != "yes":
        warnings.append("pdfinfo: the document is not tagged")
    return View(
        reader="poppler",
        title=fields.get("Title", ""),
        author=fields.get("Author", ""),
        lang=None,  # the poppler tools do not print the document language
        pages=int(fields.get("Pages", "0")),
        outline=outline,
        roles=_counts(roles),
        warnings=warnings,
    )


def _unescape(text: str) -> str:
    from html import unescape

    return unescape(text)


def poppler_text(path: Path) -> tuple[str, list[str]]:
    return _run("pdftotext", "-enc", "UTF-8", path, "-")


def qpdf_check(path: Path) -> list[str]:
    """What ``qpdf --check`` reports beyond a clean bill (warnings, errors, exit status)."""
    done = subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, text=True, timeout=60
    )
    problems = [line for line in done.stderr.splitlines() if line.strip()]
    problems += [line for line in done.stdout.splitlines() if "WARNING" in line.upper()]
    if done.returncode:
        problems.append(f"qpdf --check exited with {done.returncode}")
    return problems
