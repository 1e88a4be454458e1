"""A worker's watchdog: the worker process ends as soon as the build that started it is gone.

Its own module, importing the standard library only, so that a process can set up the
watchdog without importing the build's executor (and, through it, the whole pipeline).

Imports: the standard library only.
"""

from __future__ import annotations

import os
import threading
import time

#: How often a worker checks that the build that started it is still alive.
PARENT_CHECK_SECONDS = 0.5


def exit_with_parent(parent: int, every: float = PARENT_CHECK_SECONDS) -> threading.Thread:
    """End this worker process as soon as ``parent`` (the build) is gone.

    A build killed with ``kill -9`` cannot stop its workers, and they would wait for work
    forever (they hold the pool's pipes themselves, so they never see it close). A daemon
    thread checks that ``parent`` still exists and that this process's parent is still the
    one that started it (a worker forked by the fork server is its child, and the server
    exits when the build does); otherwise it exits at once. Portable (no ``prctl``), and it
    works while a render is running.
    """

    first = os.getppid()  # the build, or the fork server (which ends with the build)

    def watch() -> None:
        while os.getppid() == first and _alive(parent):
            time.sleep(every)
        os._exit(1)

    thread = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    thread.start()
    return thread


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists (another user's process: the build's pid was reused)
    return True
