"""Reading a PDF's structure tree the way a screen reader does (pikepdf + pdfplumber).

Each structure element keeps its role, its kids, the marked content it owns (page, MCID)
and the annotations it owns (OBJR); its text is the text of that marked content, taken
from the page by pdfplumber.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.lazy import lazy

pdfplumber = lazy("pdfplumber")
pikepdf = lazy("pikepdf")


@dataclass
class Element:
    role: str
    obj: pikepdf.Dictionary
    kids: list[Element] = field(default_factory=list)
    content: list[tuple[int, int]] = field(default_factory=list)  # (page index, MCID)
    annotations: list[pikepdf.Dictionary] = field(default_factory=list)
    text_of: dict[tuple[int, int], str] = field(default_factory=dict, repr=False)
    owner: pikepdf.Pdf | None = field(default=None, repr=False)  # keeps the file open

    def walk(self) -> Iterator[Element]:
        yield self
        for kid in self.kids:
            yield from kid.walk()

    def find(self, role: str) -> list[Element]:
        return [e for e in self.walk() if e.role == role]

    @property
    def text(self) -> str:
        """The text of the element's content, one piece per line box (joined by spaces:
        WeasyPrint drops the space at the end of a line)."""
        return " ".join(self.text_of.get(item, "") for e in self.walk() for item in e.content)


@dataclass
class Tree:
    pdf: pikepdf.Pdf
    root: Element
    artifact_text: str  # text painted as artifacts (running header and footer)
    unowned_text: str  # marked text that no element in the tree owns
    mcids_in_parent_tree_not_in_tree: int


def read_tree(path: Path) -> Tree:
    with pdfplumber.open(path) as plumber:
        text_of: dict[tuple[int, int], str] = defaultdict(str)
        artifacts = []
        for index, page in enumerate(plumber.pages):
            for char in page.chars:
                if char.get("mcid") is not None:
                    text_of[(index, char["mcid"])] += char["text"]
                elif char.get("tag") == "Artifact":
                    artifacts.append(char["text"])
    pdf = pikepdf.open(path)  # left open: the elements keep pikepdf objects
    pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
    struct_root = pdf.Root.StructTreeRoot

    def build(obj: pikepdf.Dictionary, page: int | None) -> Element:
        if "/Pg" in obj:
            page = pages[obj.Pg.objgen]
        element = Element(role=str(obj.get("/S", "/StructTreeRoot"))[1:], obj=obj, text_of=text_of, owner=pdf)
        kids = obj.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]
        for kid in kids:
            if isinstance(kid, int):
                element.content.append((page, kid))
            elif kid.get("/Type") == "/OBJR":
                element.annotations.append(kid.Obj)
            elif kid.get("/Type") == "/MCR":
                element.content.append((pages[kid.Pg.objgen] if "/Pg" in kid else page, int(kid.MCID)))
            else:
                element.kids.append(build(kid, page))
        return element

    root = build(struct_root, None)
    owned = {item for e in root.walk() for item in e.content}
    nums = list(struct_root.ParentTree.Nums)
    in_parent_tree = 0
    for key, value in zip(nums[::2], nums[1::2]):
        if isinstance(value, pikepdf.Array):
            for mcid, ref in enumerate(value):
                if ref is not None and (int(key), mcid) not in owned:
                    in_parent_tree += 1
    unowned = "".join(t for item, t in text_of.items() if item not in owned)
    return Tree(pdf, root, "".join(artifacts), unowned, in_parent_tree)
