"""Imported once by the build's fork server (:data:`handout_builder.build.executor.PRELOAD`):
WeasyPrint, imported the way :mod:`handout_builder.render.pdf` imports it (Fontconfig pinned
to the bundled fonts first), so that every worker forked from the server starts with it
imported instead of importing it again. Nothing is laid out and no font is loaded here: the
fork server stays one thread with no Fontconfig or Pango state (see the executor's notes).

Imports: render.
"""

from __future__ import annotations

from handout_builder.render.pdf import import_weasyprint

import_weasyprint()
