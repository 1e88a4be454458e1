"""Heavy test-only libraries (PDF readers, images), imported where first used.

pytest imports every test module, also when ``-m "not pdf"`` deselects all its tests, so a
module-level ``import pikepdf`` costs the quick loop its import time for nothing.
``pikepdf = lazy("pikepdf")`` at a module's top imports pikepdf at the first use of one of
its public names (``pikepdf.open``, ``pypdf.PdfReader``); never write ``from pypdf import
PdfReader`` at a module's top. (Not :class:`importlib.util.LazyLoader`: pytest looks at
every name of a test module while collecting it, which would load the module at once.)
"""

from __future__ import annotations

import importlib
from typing import Any


class lazy:  # noqa: N801 - used as a module name
    """A module imported when one of its public names is first asked for."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("_"):  # pytest's and inspect's questions: not the module's
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name}>"
