"""The front desk: a small web app where clinic staff find, preview, personalise, print and
email leaflets (``make-handout serve``).

It calls :mod:`handout_builder.service` only (and the domain types of its requests and
results): no rendering, file names or review rules of its own. Modules:

- ``config.py``: the server's settings file (sign-in, SMTP, limits), password hashes;
- ``catalogue.py``: the library as listed and searched (an SQLite FTS5 index), kept up to
  date while the server runs;
- ``pool.py`` and ``worker.py``: warm render workers, a bounded queue, the cache of
  non-personal leaflets;
- ``security.py``: CSRF tokens, security headers, sign-in, rate limits, request limits;
- ``app.py``: the pages (Starlette), served by uvicorn (``server.py``).

Nothing personal is ever stored, cached, logged or put in a URL: personal details arrive in
a POST body, go to a worker through a pipe, and come back printed in the PDF only.
"""
