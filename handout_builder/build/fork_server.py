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
    socket fits in the temporary folder (:func:`_socket_fits`), else ``spawn``."""
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
