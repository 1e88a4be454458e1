"""Imported first by the build's fork server (:data:`handout_builder.build.fork_server.PRELOAD`):
WeasyPrint, imported the way :mod:`handout_builder.render.pdf` imports it (Fontconfig pinned
to the bundled fonts first), and the build's own modules, so that every worker forked from
the server starts with them imported instead of importing them again. Nothing is laid out
and no font is loaded here: the fork server stays one thread with no Fontconfig or Pango
state (see the executor's notes).

While it imports (seconds on a busy machine), a thread ends the server at once if the build
that started it is gone (killed); the thread ends before the server forks any worker.

Imports: render, build.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

_parent = os.getppid()
_imported = threading.Event()


def _exit_with_the_build() -> None:
    while not _imported.wait(0.1):
        if os.getppid() != _parent:
            os._exit(0)


_watch = threading.Thread(target=_exit_with_the_build, name="preload-watch", daemon=True)
_watch.start()
try:
    from handout_builder.render.pdf import import_weasyprint

    import_weasyprint()
    import handout_builder.build.executor  # noqa: F401  (and through it the pipeline's stages)
finally:
    _imported.set()
    _watch.join()  # one thread again before anything is forked

if any("multiprocessing.forkserver" in part for part in sys.orig_argv):
    # The fork server ends when the build does (even a killed one): at once, without
    # tearing down every module it imported, so that nothing of the build outlives it for
    # long. (Its forked workers never run exit handlers: they leave with os._exit.)
    atexit.register(os._exit, 0)
