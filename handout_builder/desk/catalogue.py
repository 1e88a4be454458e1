"""The library as the desk lists and searches it: an SQLite FTS5 index, kept up to date.

Each topic file is read once through the service (:func:`service.read_leaflet`), which
validates it and judges its review state; the index holds its title, keywords, category,
text and codes. Search is one SQL query (prefix matching for find-as-you-type), never a loop
over files.

Edits while the server runs: :meth:`Catalogue.refresh` (every two seconds, from a thread)
compares each file's size and modification time. A changed file is taken only when it has
stayed unchanged between two scans and it validates; a file that fails to validate (being
written, or wrong) keeps its last good version, and content staff see its problems. The
bytes that validated are the bytes rendered: a render never reads the file again, so a
leaflet is never made from a half-written file.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from handout_builder import service
from handout_builder.domain import review
from handout_builder.domain.codes import CodeQuery, matches
from handout_builder.domain.problems import Problem, UserError
from handout_builder.domain.review import ReviewStatus

#: At most this many words of a query are used.
MAX_QUERY_WORDS = 8
#: bm25 weights of the columns: title, keywords, category, text, codes.
WEIGHTS = (10.0, 6.0, 3.0, 1.0, 8.0)
_SCHEMA = """
CREATE TABLE leaflet(rowid INTEGER PRIMARY KEY, path TEXT UNIQUE, id TEXT, language TEXT,
                     title TEXT, category TEXT, visible INTEGER);
CREATE INDEX leaflet_id ON leaflet(id);
CREATE TABLE code(system TEXT, token TEXT, rowid INTEGER);
CREATE INDEX code_system ON code(system);
CREATE VIRTUAL TABLE words USING fts5(title, keywords, category, text, codes,
                                      tokenize = "unicode61 remove_diacritics 2");
"""


@dataclass(frozen=True)
class Entry:
    """One leaflet as listed: the topic read once, and its review state today."""

    info: service.LeafletInfo
    review: ReviewStatus

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def language(self) -> str:
        return self.info.language

    @property
    def title(self) -> str:
        return self.info.title

    @property
    def category(self) -> str:
        return self.info.category

    @property
    def printable(self) -> bool:
        """Shown to front-desk staff and printed without a watermark (the review policy)."""
        return self.review.printable


@dataclass(frozen=True)
class Found:
    total: int
    entries: list[Entry]


def fts_query(text: str) -> str | None:
    """A user's words as an FTS5 query: every word must match, the last ones as prefixes
    (as you type); None when there is no word. Quotes and operators are never passed on."""
    words = re.findall(r"\w+", text.lower())[:MAX_QUERY_WORDS]
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


class Catalogue:
    """The leaflets of one library folder, searchable; see the module's notes."""

    def __init__(self, folder: Path, today: Callable[[], date] = review.today):
        self.folder = Path(folder).resolve()
        self._today = today
        self._lock = threading.RLock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._entries: dict[int, Entry] = {}  # rowid -> entry
        self._rowids: dict[Path, int] = {}
        self._stamps: dict[Path, tuple[int, ...]] = {}  # the stamp of the version listed
        self._pending: dict[Path, tuple[int, ...]] = {}  # seen once, taken if still the same
        self._as_of: date | None = None
        self._next_rowid = 1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Files that could not be taken (invalid, unreadable, duplicate id): their problems.
        self.problems: dict[Path, list[Problem]] = {}
        self.loaded = False
        self._generation = 0  # counts changes: the lists below are kept until the next one
        self._lists: dict[tuple, list] = {}

    # ---------------------------------------------------------------- keeping it current

    def refresh(self) -> int:
        """Scan the folder once; returns how many leaflets were added, changed or removed."""
        as_of = self._today()
        first = not self.loaded
        changed = 0
        seen: set[Path] = set()
        for path in service.library_topic_files(self.folder):
            seen.add(path)
            try:
                info = path.stat()
            except OSError:
                continue
            # a translation is read again when its source changes too (its codes)
            stamp = (info.st_mtime_ns, info.st_size, *service.source_stamp(path))
            if self._stamps.get(path) == stamp:
                self._pending.pop(path, None)
                continue
            if not first and self._pending.get(path) != stamp:
                self._pending[path] = stamp  # take it next time, if nobody is still writing
                continue
            self._pending.pop(path, None)
            changed += self._take(path, stamp, as_of)
        for path in set(self._rowids) - seen:
            self._remove(path)
            changed += 1
        for path in set(self.problems) - seen:
            del self.problems[path]
        if as_of != self._as_of:
            self._judge_all(as_of)
            changed += 1
        if changed:
            with self._lock:
                self._generation += 1
                self._lists.clear()
        self.loaded = True
        return changed

    def _take(self, path: Path, stamp: tuple[int, ...], as_of: date) -> int:
        try:
            info = service.read_leaflet(path, self.folder, as_of)
        except UserError as error:
            self.problems[path] = list(error.problems)
            return 0  # an earlier good version, if any, stays listed
        except OSError:
            return 0  # gone or unreadable right now: the next scan tries again
        with self._lock:
            clash = self._db.execute(
                "SELECT path FROM leaflet WHERE id = ? AND language = ? AND path != ?",
                (info.id, info.language, str(path))).fetchone()
            if clash is not None:
                self.problems[path] = [Problem(
                    info.name, f"Another topic file ({Path(clash[0]).name}) has the same id and "
                    "language; this one is not listed.", "Give each topic its own id.", field="id")]
                self._stamps[path] = stamp
                return 0
            self.problems.pop(path, None)
            self._put(path, Entry(info, info.review))
            self._stamps[path] = stamp
        return 1

    def _put(self, path: Path, entry: Entry) -> None:
        info = entry.info
        rowid = self._rowids.get(path)
        if rowid is None:
            rowid = self._rowids[path] = self._next_rowid
            self._next_rowid += 1
        else:
            self._db.execute("DELETE FROM words WHERE rowid = ?", (rowid,))
            self._db.execute("DELETE FROM code WHERE rowid = ?", (rowid,))
        self._db.execute(
            "INSERT OR REPLACE INTO leaflet VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rowid, str(path), info.id, info.language, info.title, info.category,
             int(entry.printable)))
        self._db.execute(
            "INSERT INTO words(rowid, title, keywords, category, text, codes) VALUES (?, ?, ?, ?, ?, ?)",
            (rowid, info.title, " ".join(info.keywords), info.category, info.text,
             " ".join(info.codes)))
        self._db.executemany("INSERT INTO code VALUES (?, ?, ?)",
                             [(c.partition("|")[0], c, rowid) for c in info.codes])
        self._entries[rowid] = entry

    def _remove(self, path: Path) -> None:
        with self._lock:
            rowid = self._rowids.pop(path)
            self._stamps.pop(path, None)
            for table in ("leaflet", "words", "code"):
                self._db.execute(f"DELETE FROM {table} WHERE rowid = ?", (rowid,))
            del self._entries[rowid]

    def _judge_all(self, as_of: date) -> None:
        """Review states change with the date: judge every leaflet again (no file is read)."""
        with self._lock:
            for path, rowid in self._rowids.items():
                old = self._entries[rowid]
                entry = Entry(old.info, service.judge_review(old.info, as_of))
                self._entries[rowid] = entry
                self._db.execute("UPDATE leaflet SET visible = ? WHERE rowid = ?",
                                 (int(entry.printable), rowid))
            self._as_of = as_of

    def watch(self, every: float = 2.0) -> None:
        """Refresh from a background thread every ``every`` seconds until :meth:`close`."""
        def loop() -> None:
            while not self._stop.wait(every):
                try:
                    self.refresh()
                except Exception:  # a bug must not stop the watching; it is logged
                    import logging

                    logging.getLogger("handout_builder.desk").exception("refreshing the library")

        self._thread = threading.Thread(target=loop, name="desk-library-watch", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # ---------------------------------------------------------------- questions

    def _where(self, staff: bool, language: str | None, category: str | None) -> tuple[str, list]:
        clauses, args = [], []
        if not staff:
            clauses.append("leaflet.visible = 1")
        if language:
            clauses.append("(leaflet.language = ? OR leaflet.language LIKE ?)")
            args += [language, language + "-%"]
        if category:
            clauses.append("leaflet.category = ?")
            args.append(category)
        return (" AND ".join(clauses) or "1"), args

    def search(self, query: str = "", *, language: str | None = None,
               category: str | None = None, staff: bool = False, limit: int = 50) -> Found:
        """Leaflets matching every word of ``query`` (any column; best first), or all of them
        by title when there is no word. Front-desk staff see printable leaflets only."""
        where, args = self._where(staff, language, category)
        match = fts_query(query)
        with self._lock:
            if match is None:
                total = self._db.execute(f"SELECT count(*) FROM leaflet WHERE {where}", args).fetchone()[0]
                rows = self._db.execute(
                    f"SELECT rowid FROM leaflet WHERE {where} ORDER BY category, title LIMIT ?",
                    [*args, limit]).fetchall()
            else:
                join = f"FROM words JOIN leaflet ON leaflet.rowid = words.rowid WHERE words MATCH ? AND {where}"
                total = self._db.execute(f"SELECT count(*) {join}", [match, *args]).fetchone()[0]
                weights = ", ".join(str(w) for w in WEIGHTS)
                rows = self._db.execute(
                    f"SELECT leaflet.rowid {join} ORDER BY bm25(words, {weights}), leaflet.title LIMIT ?",
                    [match, *args, limit]).fetchall()
            return Found(total, [self._entries[r[0]] for r in rows])

    def by_code(self, query: CodeQuery, *, language: str | None = None,
                staff: bool = False) -> list[tuple[Entry, str, str]]:
        """Leaflets about ``query`` (parsed by :func:`domain.codes.parse_query`), as
        (entry, the leaflet's code, "exact" or "broader"): exact matches first, then broader
        ICD-10-CM categories (the domain's rule, :func:`domain.codes.matches`)."""
        where, args = self._where(staff, language, None)
        with self._lock:
            rows = self._db.execute(
                f"SELECT code.token, leaflet.rowid FROM code JOIN leaflet ON leaflet.rowid = code.rowid "
                f"WHERE code.system = ? AND {where}", [query.system, *args]).fetchall()
            found: dict[int, tuple[bool, str]] = {}
            for token, rowid in rows:
                how = matches(query, token)
                if how is not None and (rowid not in found or how == "exact"):
                    found[rowid] = (how != "exact", token)
            order = sorted(found, key=lambda r: (found[r][0], self._entries[r].title))
            return [(self._entries[r], found[r][1], "broader" if found[r][0] else "exact")
                    for r in order]

    def versions(self, handout_id: str, *, staff: bool = False) -> list[Entry]:
        """Every language of one leaflet (visible to this member of staff)."""
        where, args = self._where(staff, None, None)
        with self._lock:
            rows = self._db.execute(
                f"SELECT rowid FROM leaflet WHERE id = ? AND {where} ORDER BY language",
                [handout_id, *args]).fetchall()
            return [self._entries[r[0]] for r in rows]

    def get(self, handout_id: str, language: str | None = None, *, staff: bool = False) -> Entry | None:
        """One leaflet in ``language`` (None: English if there is one, else the first)."""
        versions = self.versions(handout_id, staff=staff)
        for entry in versions:
            if entry.language == language:
                return entry
        if language is not None:
            return None
        for entry in versions:
            if entry.language.split("-")[0] == "en":
                return entry
        return versions[0] if versions else None

    def categories(self, *, staff: bool = False, language: str | None = None) -> list[tuple[str, int]]:
        """The categories and how many leaflets each has (kept until the library changes)."""
        key = ("categories", staff, language)
        with self._lock:
            if key not in self._lists:
                where, args = self._where(staff, language, None)
                self._lists[key] = [(c, n) for c, n in self._db.execute(
                    f"SELECT category, count(*) FROM leaflet WHERE {where} GROUP BY category "
                    "ORDER BY category", args)]
            return self._lists[key]

    def languages(self, *, staff: bool = False) -> list[str]:
        """The languages there are leaflets in (kept until the library changes)."""
        key = ("languages", staff)
        with self._lock:
            if key not in self._lists:
                where, args = self._where(staff, None, None)
                self._lists[key] = [r[0] for r in self._db.execute(
                    f"SELECT DISTINCT language FROM leaflet WHERE {where} ORDER BY language", args)]
            return self._lists[key]

    def __len__(self) -> int:
        return len(self._entries)
