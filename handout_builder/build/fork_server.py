"""The workers' fork server: which modules it imports, and starting it early.

Standard library only, so that the command line can start the server before it imports
anything else: ``make-handout build`` calls :func:`warm_up` right after reading its options,
and the server (a fresh interpreter) imports WeasyPrint and the pipeline on the spare core
while the build's own process imports the service, reads the library and plans. See
:mod:`handout_builder.build.executor` for why workers are forked from a server.

Imports: nothing of the package.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from typing import Any

#: Modules the fork server imports once for every worker it forks, in this order (then the
#: module of the render function the build is given: :data:`SERVICE_MODULE` for the CLI).
PRELOAD = ("handout_builder.build.preload",)
#: The module of the render function ``make-handout build`` runs (the service's
#: ``render_in_folder``): named here so that the CLI can start the server without importing it.
SERVICE_MODULE = "handout_builder.service"


#: The longest path a Unix socket can have everywhere (``sun_path`` less its closing NUL:
#: 107 bytes on Linux, 103 on macOS and the BSDs).
SOCKET_PATH_MAX = 103


def worker_context(module: str | None = None) -> Any:
    """The multiprocessing context workers start in: a fork server that has imported
    :data:`PRELOAD` (and ``module``, the render function's) where there is one and its
    socket fits in the temporary folder (:func:`_socket_fits`), else ``spawn``. Either way
    the workers import what this process imports, never from the current folder
    (:func:`children_import_as_this_process`)."""
    children_import_as_this_process()
    if "forkserver" not in multiprocessing.get_all_start_methods() or not _socket_fits():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    modules = list(PRELOAD)
    if module and module != "__main__":
        modules.append(module)
    # only the first call before the server starts counts: one server per process
    context.set_forkserver_preload(modules)
    return context


def warm_up(module: str | None = None) -> bool:
    """Start the fork server now, so that it imports WeasyPrint and the pipeline on a spare
    core while this process imports, reads, hashes and plans, instead of after: about a
    second less before the first worker renders. Only where there is a core to spare; a
    build that then has nothing to render (or stops at a usage error) leaves the server
    unused: it ends with this process, as always. True if the server is running."""
    if (os.cpu_count() or 1) < 2:
        return False
    context = worker_context(module)
    if context.get_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver  # the server every forkserver context shares

    forkserver.ensure_running()
    return True


def _socket_fits() -> bool:
    """Whether the fork server's socket (``listener-*`` in multiprocessing's ``pymp-*``
    folder of the temporary folder) has a path short enough to be made: with a long
    ``TMPDIR`` the server would fail to start ("AF_UNIX path too long") and take the build
    with it, so workers are spawned instead (slower to start, the same leaflets)."""
    from multiprocessing import util

    return len(os.fsencode(os.path.join(util.get_temp_dir(), "listener-xxxxxxxx"))) \
        <= SOCKET_PATH_MAX


def children_import_as_this_process() -> None:
    """Have the worker processes this process starts from now on find modules where it does,
    and never in the current folder.

    A fork server, and a spawned worker until it has read its parent's settings, is a new
    ``python -c`` process, whose first place to import from is the current folder: a build
    run in a folder that holds, say, a ``weasyprint`` folder would run that code in every
    worker (and the fork server of Python 3.11 never takes the import path it is given).
    ``PYTHONSAFEPATH`` (Python 3.11 and later) leaves the current folder out, and this
    process's first import folder (a checkout's, when run as ``python make_handout.py``) goes
    first on ``PYTHONPATH``, so the workers run the same code as this process.
    """
    os.environ["PYTHONSAFEPATH"] = "1"
    first = sys.path[0] if sys.path else ""
    if first and os.path.isabs(first) and os.path.isdir(first):
        paths = [first, *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
        os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in paths if p))
