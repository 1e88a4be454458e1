"""Loading WeasyPrint: its libraries by soname, without the slow library search
(render/pdf.py ``_libraries_by_soname``), and WeasyPrint's own search when that fails.

Each test imports WeasyPrint in a new interpreter (the test process has it already)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.pdf

#: Counts the processes started while WeasyPrint is imported, then renders nothing more than
#: the import: prints "<processes> <the name of the weasyprint module>".
PROBE = """
import sys
started = []
sys.addaudithook(lambda event, args: event == "subprocess.Popen" and started.append(args[0]))
{before}
from handout_builder.render.pdf import _weasyprint
module = _weasyprint()
import ctypes.util
print(len(started), module.__name__, ctypes.util.find_library.__module__)
"""

#: Makes the first import of WeasyPrint's library bindings fail as on a system whose
#: libraries the loader does not know by soname.
FAIL_ONCE = """
import importlib.abc
class FailOnce(importlib.abc.MetaPathFinder):
    failed = False
    def find_spec(self, name, path=None, target=None):
        if name == "weasyprint.text.ffi" and not FailOnce.failed:
            FailOnce.failed = True
            raise OSError("no library called libpango-1.0.so.0")
        return None
sys.meta_path.insert(0, FailOnce())
"""


def _probe(before: str = "") -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE.format(before=before)],
                            capture_output=True, text=True, check=True, cwd=REPO)
    return result.stdout.split()


def test_weasyprint_loads_its_libraries_without_starting_a_process():
    # Before: ldconfig, gcc and ld about 200 times (each name WeasyPrint tries for Windows or
    # macOS first), 0.4 to 0.8 s for each process that renders.
    assert _probe() == ["0", "weasyprint", "ctypes.util"]  # and the search is put back


def test_where_the_sonames_do_not_load_weasyprint_searches_as_usual():
    processes, module, search = _probe(FAIL_ONCE)
    assert module == "weasyprint" and search == "ctypes.util"
    assert int(processes) > 0  # the second import searched (ldconfig and friends)
