"""The library as the desk last validated it, kept on disk: a restart validates only the
topic files that changed since.

What it holds: library content only. For each topic file, its name in the library, the
SHA-256 of its bytes and the topic those bytes validated to (as JSON; a translation's
clinical codes, which are its source's, are not taken from here but read from the source
each time). Nothing about a
patient ever reaches the catalogue, so nothing about a patient is ever in this file.

Where: one file per library folder in the desk's cache folder (``$XDG_CACHE_HOME`` or
``~/.cache``, then ``make_handout/desk/``), made readable by its owner only.

A file on disk may be stale, corrupt, from another machine or planted: it is believed only
as far as it proves itself, so the worst a bad cache can do is cost the time of validating
the library again.

* A topic is taken from it only for the exact bytes just read from the topic file (the
  bytes that are listed and rendered) with the SHA-256 it recorded.
* Each entry carries an HMAC-SHA256, made with a random key kept beside it (owner only),
  over the library folder, the file's name, the hash, the topic, and the rules that
  validated it (:func:`service.validation_rules`: make_handout's version, its models and
  loaders, its fonts). An entry edited by hand, copied from another machine or library, or
  written by another version of make_handout or with other fonts installed does not verify;
  that topic is validated from its file again.
* The topic is validated again as a model from its JSON (Pydantic: no objects built from
  the file, no code run).
* A file too large, not JSON, or of another format is ignored whole and written anew.

The cache decides what is listed and found, never what is printed: a leaflet is rendered
from the bytes of its file, validated again in the render worker.

Writes are atomic (a temporary file, then a rename): a desk stopped mid-write leaves the
old file or the new one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
import threading
from pathlib import Path

from handout_builder import service
from handout_builder.domain.models import Topic

log = logging.getLogger("handout_builder.desk")
FORMAT = 1
#: A cache file larger than this is not read (a topic file is at most 1 MB; a library of
#: 5,000 topics is a few tens of MB).
MAX_BYTES = 512 * 1024 * 1024
KEY_FILE = "key"


def default_folder() -> Path:
    """``$XDG_CACHE_HOME/make_handout/desk`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "make_handout" / "desk"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LibraryCache:
    """The validated topics of one library folder, by file name (see the module's notes)."""

    def __init__(self, folder: Path, library: Path):
        self.library = str(Path(library).resolve())
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
        self.folder = folder
        self.path = folder / (sha256(self.library.encode())[:32] + ".json")
        self._key = _key(folder)
        self._rules = service.validation_rules()
        self._lock = threading.Lock()
        self._entries: dict[str, list[str]] = self._read()
        self._dirty = False
        #: Topics taken from the file, and topics validated again (for the figures).
        self.hits = 0
        self.misses = 0

    def _mac(self, name: str, digest: str, topic_json: str) -> str:
        message = "\0".join((str(FORMAT), self._rules, self.library, name, digest, topic_json))
        return hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def _read(self) -> dict[str, list[str]]:
        try:
            with open(self.path, "rb") as file:
                if os.fstat(file.fileno()).st_size > MAX_BYTES:
                    raise ValueError("too large")
                data = json.loads(file.read())
            if not (isinstance(data, dict) and data.get("format") == FORMAT
                    and data.get("rules") == self._rules and isinstance(data.get("entries"), dict)):
                raise ValueError("another format or other rules")
            return {name: entry for name, entry in data["entries"].items()
                    if isinstance(name, str) and isinstance(entry, list) and len(entry) == 3
                    and all(isinstance(part, str) for part in entry)}
        except FileNotFoundError:
            return {}
        except Exception as error:  # corrupt, hostile or old: never believed, written anew
            log.warning("the library cache %s is not used (%s); it is written anew",
                        self.path.name, type(error).__name__)
            return {}

    def topic(self, name: str, data: bytes) -> Topic | None:
        """The topic ``data`` (the file ``name``'s bytes) validated to, if recorded and it
        proves itself; None otherwise (then validate it)."""
        with self._lock:
            entry = self._entries.get(name)
        topic = None
        if entry is not None:
            digest, topic_json, mac = entry
            if digest == sha256(data) and hmac.compare_digest(mac, self._mac(name, digest, topic_json)):
                try:
                    topic = Topic.model_validate_json(topic_json)
                except ValueError:  # pydantic's ValidationError among them
                    topic = None
        if topic is None:
            self.misses += 1
        else:
            self.hits += 1
        return topic

    def remember(self, name: str, data: bytes, topic: Topic) -> None:
        """Record that ``data`` (the bytes of ``name``) validated to ``topic``."""
        digest = sha256(data)
        with self._lock:
            old = self._entries.get(name)
            if old is not None and old[0] == digest:
                return
            topic_json = topic.model_dump_json()
            self._entries[name] = [digest, topic_json, self._mac(name, digest, topic_json)]
            self._dirty = True

    def forget(self, name: str) -> None:
        with self._lock:
            if self._entries.pop(name, None) is not None:
                self._dirty = True

    def keep_only(self, names: set[str]) -> None:
        """Forget files that are no longer in the library."""
        with self._lock:
            for name in set(self._entries) - names:
                del self._entries[name]
                self._dirty = True

    def save(self) -> None:
        """Write the file (atomically) if anything changed; a failure is logged, never raised
        (the desk works without its cache)."""
        with self._lock:
            if not self._dirty:
                return
            text = json.dumps({"format": FORMAT, "rules": self._rules, "entries": self._entries},
                              ensure_ascii=False, separators=(",", ":"))
            self._dirty = False
        try:
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".library-", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(text.encode("utf-8"))
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            log.warning("the library cache could not be written (%s)", type(error).__name__)
            with self._lock:
                self._dirty = True


def _key(folder: Path) -> bytes:
    """The key of the entries' HMACs: 32 random bytes in ``folder/key`` (owner only), made
    on first use; a key file that is not 64 hex digits is replaced (the cache then verifies
    nothing and is written anew)."""
    path = folder / KEY_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
        if len(text) == 64:
            return bytes.fromhex(text)
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    key = secrets.token_bytes(32)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".key-")  # mode 0600
    with os.fdopen(handle, "w", encoding="ascii") as file:
        file.write(key.hex())
    os.replace(temporary, path)
    return key
