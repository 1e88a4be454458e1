"""Room on CPython's frame stack for a render worker, so that deep layouts stop mapping and
unmapping memory thousands of times per leaflet.

CPython (3.11 on) keeps the frames of Python calls on a stack of chunks per thread, 16 KiB
each, mapped from the system one at a time: a call that does not fit in what is left of the
current chunk gets a new one (``mmap``), and when it returns the chunk goes back (``munmap``).
A program whose calls go down and up across the same chunk boundary pays a system call pair
and a page fault or two each time. WeasyPrint's layout does, thousands of times per leaflet:
in a build worker, 1,300 of its 1,500 page faults per document, about 10 ms of system time
on a 250 ms render. Where the boundaries fall depends on how deep the worker's loop already
is, so a worker forked from the fork server, a spawned one and a bare WeasyPrint loop each
pay a different share. CPython 3.13 and 3.14 keep one spare chunk since their releases of
spring 2026, which ends the churn (python/cpython#142183); earlier versions do not.

:func:`call_with_room` calls a function inside a frame that takes a little over half of a
1 MiB chunk, so the function's own calls have the other 500 KiB (thousands of frames) to
themselves, with no boundary to cross. A worker runs its whole life inside it: one mapping
for the worker, instead of thousands per leaflet.

Imports: the standard library only.
"""

from __future__ import annotations

import sys
import types
from typing import Any, Callable, TypeVar

T = TypeVar("T")

#: The chunk the holding frame gets: CPython doubles a chunk's 16 KiB until the frame fits.
CHUNK_BYTES = 1 << 20
#: Slots (pointers) of the holding frame: a little over half the chunk, so that CPython maps
#: a whole chunk of :data:`CHUNK_BYTES` for it and leaves the rest to the calls it makes.
_SLOTS = CHUNK_BYTES // 2 // 8 + 256


def _call(function: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    return function(*args, **kwargs)


def _holding_frame() -> Callable[..., Any]:
    """:func:`_call` with :data:`_SLOTS` more local variables, none of them ever set: its
    frame is that much larger (CPython sets aside a slot per local variable) and costs
    nothing else. Built once from :func:`_call`'s code, not compiled from source."""
    code = _call.__code__
    names = code.co_varnames + tuple(f"_room_{n}" for n in range(_SLOTS))
    return types.FunctionType(code.replace(co_varnames=names, co_nlocals=len(names)),
                              _call.__globals__, "call_with_room")


_held = _holding_frame()


def call_with_room(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)``, its calls given about 500 KiB of the frame stack to
    themselves (see the module's notes). Meant for a long call, such as a worker's loop: each
    call maps the chunk and sets its slots (well under a millisecond)."""
    return _held(function, args, kwargs)


def in_room() -> bool:
    """Whether the caller runs inside :func:`call_with_room` (for tests)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is _held.__code__:
            return True
        frame = frame.f_back
    return False
