"""A desk render worker: one process, warm renderers, jobs in and bytes out over a pipe.

The parent (:mod:`handout_builder.desk.pool`) starts each worker with ``spawn`` (as the
build does: nothing inherited from the server's threads or Fontconfig state) and sends it
plain, picklable jobs. The worker keeps one warm renderer per brand and variant for its whole
life (:func:`service.open_renderer`, the set-up the batch build uses), renders with the
service and answers with bytes. It prints and logs nothing: a job may carry one patient's
details, which exist here only while that job runs.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import traceback
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from handout_builder import service
from handout_builder.domain.options import RenderOptions
from handout_builder.domain.personal import PersonalCopy
from handout_builder.domain.problems import Problem

#: Width in pixels of a page preview.
PREVIEW_WIDTH = 680


@dataclass(frozen=True)
class RenderJob:
    topic: service.TopicBytes
    settings: Any  # LibrarySettings
    brand: str  # a key of the desk's brands
    as_of: date
    large_print: bool = False
    allow_draft: bool = False
    personal: PersonalCopy | None = field(default=None, repr=False)
    previews: bool = False  # also draw each page as a PNG


@dataclass(frozen=True)
class EmailJob:
    topic: service.TopicBytes
    settings: Any
    brand: str
    as_of: date
    to: str = field(repr=False)
    smtp: Any = field(repr=False)  # SmtpServer
    sender: str | None = None
    personal: PersonalCopy | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PacketJob:
    """Several leaflets as one PDF (the basket): each keeps its pages, outline entry and
    review line (:func:`service.render_packet`)."""

    topics: tuple[service.TopicBytes, ...]
    settings: Any
    brand: str
    as_of: date
    large_print: bool = False


@dataclass(frozen=True)
class Reply:
    pdf: bytes | None = None
    pages: int = 0
    images: tuple[bytes, ...] = ()
    problems: tuple[Problem, ...] = ()
    refused: bool = False
    sent: bool = False
    bug: str | None = None  # what went wrong in a bug (the type only, for a personal job)

    @property
    def ok(self) -> bool:
        return not self.problems and self.bug is None


class _Warm:
    def __init__(self, brands: dict[str, str]):
        self.brands = {key: service.open_brand(Path(folder)) for key, folder in brands.items()}
        self.renderers: dict[tuple[str, bool], Any] = {}
        for key in self.brands:  # the standard variant of every brand, ready at once
            self.renderer(key, False)

    def renderer(self, brand: str, large_print: bool):
        key = (brand, large_print)
        if key not in self.renderers:
            self.renderers[key] = service.open_renderer(
                self.brands[brand], RenderOptions(large_print=large_print))
        return self.renderers[key]

    def run(self, job: RenderJob | EmailJob | PacketJob) -> Reply:
        if isinstance(job, PacketJob):
            renderer = self.renderer(job.brand, job.large_print)
            packet = service.render_packet(service.PacketRequest(
                topics=job.topics, brand=renderer.brand, name="packet", options=renderer.options,
                as_of=job.as_of, settings=job.settings), renderer)
            if not packet.ok:
                return Reply(problems=packet.problems, refused=packet.refused)
            return Reply(pdf=packet.data, pages=packet.pages)
        if isinstance(job, EmailJob):
            renderer = self.renderer(job.brand, False)
            result = service.email_leaflet(service.EmailRequest(
                topic=job.topic, brand=renderer.brand, to=job.to, sender=job.sender,
                personal=job.personal, smtp=job.smtp, as_of=job.as_of, settings=job.settings),
                renderer)
            return Reply(problems=result.problems, sent=result.ok)
        renderer = self.renderer(job.brand, job.large_print)
        request = service.RenderRequest(
            topic=job.topic, brand=renderer.brand, options=renderer.options,
            personal=job.personal, as_of=job.as_of, allow_draft=job.allow_draft,
            settings=job.settings)
        result = service.render_leaflet(request, renderer)
        if not result.ok:
            return Reply(problems=result.problems, refused=result.refused)
        images = tuple(service.preview_pages(result.data, PREVIEW_WIDTH)) if job.previews else ()
        return Reply(pdf=result.data, pages=result.pages, images=images)


def _exit_with_parent(parent: int) -> None:
    def watch() -> None:
        while True:
            threading.Event().wait(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def serve(*args: Any) -> None:
    """A worker process (:func:`_serve`), its calls given room on CPython's frame stack
    (``render/stack_room.py``: without it, WeasyPrint's layout maps and unmaps a chunk of that
    stack thousands of times per document)."""
    service.call_with_room(_serve, *args)


def _serve(conn, brands: dict[str, str], parent: int, temp: str | None = None) -> None:
    """A worker's life: set up, say ready, then answer jobs until the pipe closes. Its
    temporary files go into ``temp`` (the pool removes that folder when the worker is gone)."""
    # Ctrl-C in the desk's terminal reaches every process of it: stopping is the desk's
    # business (it stops its workers), and a worker would only print a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if temp:
        tempfile.tempdir = temp
    _exit_with_parent(parent)
    warm = _Warm(brands)
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = warm.run(job)
        except Exception as error:  # a bug: reported, the worker goes on
            personal = getattr(job, "personal", None) is not None or isinstance(job, EmailJob)
            reply = Reply(bug=type(error).__name__ if personal else traceback.format_exc())
        del job
        conn.send(reply)
