"""The desk's pages (Starlette). Every page is rendered on the server and works without
JavaScript; ``static/desk.js`` only adds find-as-you-type and the print dialog.

Personal details arrive only in the body of a POST (the personal-copy form), are validated
by the domain (:func:`personal_copy`), travel to a worker in the job, and come back printed
in the PDF. They are not kept in the session, the cache, a log line or a URL, and every
response carries ``Cache-Control: no-store`` (security.Guard).
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from handout_builder import service
from handout_builder.desk import languages
from handout_builder.desk.catalogue import Catalogue, Entry
from handout_builder.desk.config import DeskConfig
from handout_builder.desk.pool import Busy, Cached, LeafletCache, WorkerFailed, WorkerPool, cache_key
from handout_builder.desk.security import (
    Guard, RateLimit, User, account_user, csrf_ok, csrf_token, proxy_user, session_user,
)
from handout_builder.desk.worker import EmailJob, PacketJob, Reply, RenderJob
from handout_builder.domain import review
from handout_builder.domain.codes import parse_query
from handout_builder.domain.models import ID_PATTERN
from handout_builder.domain.personal import personal_copy
from handout_builder.domain.problems import Problem, UserError

log = logging.getLogger("handout_builder.desk")
HERE = Path(__file__).resolve().parent
#: Leaflets a basket holds at most (the session cookie stays small).
BASKET_MAX = 20
#: Results shown on one page of search results.
RESULTS = 50
_ID = re.compile(ID_PATTERN)
_LABELS = {"--patient-name": "Patient name", "--clinician": "Clinician", "--date": "Date",
           "--note": "Note", "to": "Email address", "patient_name": "Patient name",
           "clinician": "Clinician", "date": "Date", "note": "Note"}


@dataclass(frozen=True)
class Brand:
    key: str
    folder: Path
    name: str
    paper: str


@dataclass(frozen=True)
class Choice:
    """What a leaflet is rendered with: none of it personal, so it may be in a URL."""

    brand: str
    language: str
    large_print: bool = False

    def query(self, **changes) -> str:
        choice = replace(self, **changes)
        parts = [f"brand={choice.brand}", f"lang={choice.language}"]
        if choice.large_print:
            parts.append("large=1")
        return "?" + "&".join(parts)


class Desk:
    """The running desk: library, brands, workers, cache, settings."""

    def __init__(self, library: Path, brands: list[Path], config: DeskConfig,
                 workers: int = 2, watch: float | None = 2.0, today=None,
                 library_cache: Path | None = None):
        self.config = config
        self.library = Path(library).resolve()
        self.brands: dict[str, Brand] = {}
        for folder in brands:
            loaded = service.open_brand(Path(folder))  # raises UserError for a bad brand
            key = re.sub(r"[^a-z0-9-]+", "-", Path(folder).resolve().name.lower()).strip("-") or "brand"
            while key in self.brands:
                key += "-2"
            self.brands[key] = Brand(key, Path(folder).resolve(), loaded.brand.name,
                                     loaded.brand.paper)
        self.default_brand = next(iter(self.brands))
        self.today = today or (lambda: review.today())  # looked up at each call (tests pin it)
        self.catalogue = Catalogue(self.library, lambda: self.today(), cache=library_cache)
        self.watch = watch
        self.pool = WorkerPool({k: b.folder for k, b in self.brands.items()}, workers,
                               queue=config.queue, timeout=config.render_timeout)
        self.cache = LeafletCache(config.cache_bytes)
        self.email_limit = RateLimit(config.emails_per_hour)
        self.signin_limit = RateLimit(10, 300)
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                 autoescape=True)
        env.globals.update(autonym=languages.autonym, direction=languages.direction,
                           labels=_LABELS)
        self.templates = env

    async def start(self) -> None:
        self.catalogue.refresh()
        if self.watch:
            self.catalogue.watch(self.watch)
        self.pool.start()

    def stop(self) -> None:
        self.catalogue.close()
        self.pool.close()

    # ------------------------------------------------------------------ rendering

    def render_job(self, entry: Entry, choice: Choice, staff: bool, personal=None) -> RenderJob:
        return RenderJob(
            topic=entry.info.topic_bytes(), settings=entry.info.settings, brand=choice.brand,
            as_of=entry.review.as_of, large_print=choice.large_print,
            allow_draft=staff and personal is None and not entry.printable,
            personal=personal, previews=personal is None)

    async def leaflet(self, entry: Entry, choice: Choice, staff: bool) -> Cached | Reply:
        """The non-personal leaflet, from the cache or a worker (then cached)."""
        job = self.render_job(entry, choice, staff)
        key = cache_key(entry.info.source, entry.info.name, entry.info.settings.model_dump_json(),
                        choice.brand, str(choice.large_print), job.as_of.isoformat(),
                        str(job.allow_draft))
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        reply = await self.pool.run(job)
        if not reply.ok:
            return reply
        cached = Cached(reply.pdf, reply.pages, reply.images)
        self.cache.put(key, cached)
        return cached


# ---------------------------------------------------------------------- helpers


def _desk(request: Request) -> Desk:
    return request.app.state.desk


def _user(request: Request) -> User | None:
    desk = _desk(request)
    client = request.client.host if request.client else None
    return (proxy_user(desk.config, client, request.headers)
            or session_user(desk.config, request.session))


def page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    desk = _desk(request)
    user = getattr(request.state, "user", None)
    basket = request.session.get("basket", [])
    html = desk.templates.get_template(template).render(
        request=request, user=user, csrf=csrf_token(request.session), basket_count=len(basket),
        signs_in=desk.config.signs_in, **context)
    return HTMLResponse(html, status_code=status)


def problem_page(request: Request, status: int, title: str, message: str,
                 problems: list[Problem] | tuple = ()) -> HTMLResponse:
    return page(request, "problem.html", status=status, title=title, message=message,
                problems=problems)


def guarded(handler):
    """Sign-in (when configured) and CSRF (on every POST) before ``handler``."""
    async def endpoint(request: Request) -> Response:
        desk = _desk(request)
        request.state.user = _user(request)
        if desk.config.signs_in and request.state.user is None:
            if request.method == "GET":
                return RedirectResponse("/signin", status_code=303)
            return problem_page(request, 403, "Please sign in", "Sign in to use the desk.")
        form = None
        if request.method == "POST":
            form = await read_form(request)
            if not csrf_ok(request.session, form.get("csrftoken")):
                return problem_page(request, 403, "This form has expired",
                                    "Go back, reload the page and try again.")
        return await handler(request, form) if form is not None else await handler(request)

    return endpoint


async def read_form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=30)


def _staff(request: Request) -> bool:
    user = request.state.user
    return bool(user and user.content_staff)


def _entry_and_choice(request: Request, handout_id: str, params) -> tuple[Entry, Choice]:
    """The leaflet and the choices named by ``params`` (query or form); 404 for anything
    unknown (an id, a language or a brand that is not the desk's)."""
    desk = _desk(request)
    if not _ID.fullmatch(handout_id):
        raise HTTPException(404)
    language = params.get("lang") or None
    entry = desk.catalogue.get(handout_id, language, staff=_staff(request))
    if entry is None:
        raise HTTPException(404)
    brand = params.get("brand") or desk.default_brand
    if brand not in desk.brands:
        raise HTTPException(404)
    large = params.get("large", "")
    if large not in ("", "0", "1", "on"):
        raise HTTPException(404)
    return entry, Choice(brand, entry.language, large in ("1", "on"))


def pdf_response(data: bytes, handout_id: str, download: bool, cache: bool = False) -> Response:
    disposition = "attachment" if download else "inline"
    headers = {"content-disposition": f'{disposition}; filename="{handout_id}.pdf"',
               "cache-control": "private, max-age=300" if cache else "no-store"}
    return Response(data, media_type="application/pdf", headers=headers)


def _trouble(request: Request, error: Exception | Reply) -> HTMLResponse:
    if isinstance(error, Busy):
        response = problem_page(request, 503, "The desk is busy",
                                "Every printer worker is busy right now. Please try again in a "
                                "few seconds.")
        response.headers["retry-after"] = "5"
        return response
    if isinstance(error, WorkerFailed):
        return problem_page(request, 500, "This leaflet could not be prepared",
                            "The worker preparing it stopped. Please try again.")
    assert isinstance(error, Reply)
    if error.bug is not None:
        log.error("a render failed (a bug): %s", error.bug)
        return problem_page(request, 500, "This leaflet could not be prepared",
                            "Something went wrong inside make_handout. Please tell the person "
                            "who looks after the desk.")
    return problem_page(request, 422, "This leaflet cannot be printed", "", error.problems)


# ---------------------------------------------------------------------- pages


@guarded
async def find(request: Request) -> Response:
    desk = _desk(request)
    staff = _staff(request)
    query = request.query_params.get("q", "")[:200]
    languages_known = desk.catalogue.languages(staff=staff)
    language = request.query_params.get("lang") or None
    if language not in languages_known:
        language = None
    categories = desk.catalogue.categories(staff=staff, language=language)
    category = request.query_params.get("category") or None
    if category not in {c for c, _ in categories}:
        category = None
    found = desk.catalogue.search(query, language=language, category=category, staff=staff,
                                  limit=RESULTS)
    context = dict(query=query, language=language, languages=languages_known,
                   category=category, categories=categories, found=found,
                   problems=desk.catalogue.problems if staff else {})
    if request.query_params.get("fragment") == "1":
        return page(request, "_results.html", **context)
    return page(request, "find.html", **context)


@guarded
async def leaflet(request: Request) -> Response:
    desk = _desk(request)
    entry, choice = _entry_and_choice(request, request.path_params["handout_id"],
                                      request.query_params)
    return await _leaflet_page(request, entry, choice)


async def _leaflet_page(request: Request, entry: Entry, choice: Choice, status: int = 200,
                        errors: tuple[Problem, ...] = (), values: dict | None = None,
                        message: str = "") -> Response:
    desk = _desk(request)
    staff = _staff(request)
    try:
        rendered = await desk.leaflet(entry, choice, staff)
    except (Busy, WorkerFailed) as error:
        return _trouble(request, error)
    if isinstance(rendered, Reply):
        return _trouble(request, rendered)
    return page(request, "leaflet.html", status=status, entry=entry, choice=choice,
                rendered=rendered, versions=desk.catalogue.versions(entry.id, staff=staff),
                brands=desk.brands, brand=desk.brands[choice.brand], errors=errors,
                values=values or {"date": desk.today().isoformat()}, message=message,
                email=desk.config.smtp is not None)


@guarded
async def leaflet_pdf(request: Request) -> Response:
    desk = _desk(request)
    handout_id = request.path_params["handout_id"]
    entry, choice = _entry_and_choice(request, handout_id, request.query_params)
    try:
        rendered = await desk.leaflet(entry, choice, _staff(request))
    except (Busy, WorkerFailed) as error:
        return _trouble(request, error)
    if isinstance(rendered, Reply):
        return _trouble(request, rendered)
    download = request.query_params.get("download") == "1"
    return pdf_response(rendered.pdf, entry.id, download, cache=True)


@guarded
async def leaflet_page_image(request: Request) -> Response:
    desk = _desk(request)
    entry, choice = _entry_and_choice(request, request.path_params["handout_id"],
                                      request.query_params)
    number = request.path_params["number"]
    try:
        rendered = await desk.leaflet(entry, choice, _staff(request))
    except (Busy, WorkerFailed) as error:
        return _trouble(request, error)
    if isinstance(rendered, Reply) or not 1 <= number <= len(rendered.images):
        raise HTTPException(404)
    return Response(rendered.images[number - 1], media_type="image/png",
                    headers={"cache-control": "private, max-age=300"})


@guarded
async def personal(request: Request, form: FormData) -> Response:
    """A personal copy: print, download or email. The details are in this POST body only."""
    desk = _desk(request)
    handout_id = request.path_params["handout_id"]
    entry, choice = _entry_and_choice(request, handout_id, form)
    action = form.get("action")
    if action not in ("print", "download", "email"):
        raise HTTPException(400)
    values = {name: _field(form, name) for name in ("patient_name", "clinician", "date", "note")}
    try:
        details = personal_copy(**{k: v for k, v in values.items() if v})
    except UserError as error:
        return await _leaflet_page(request, entry, choice, 400, tuple(error.problems), values)
    if action == "email":
        return await _email(request, entry, choice, details, form, values)
    try:
        reply = await desk.pool.run(desk.render_job(entry, choice, False, details))
    except (Busy, WorkerFailed) as error:
        return _trouble(request, error)
    if not reply.ok:
        if reply.bug is not None:
            return _trouble(request, reply)
        return await _leaflet_page(request, entry, choice, 422, reply.problems, values)
    return pdf_response(reply.pdf, entry.id, download=action == "download")


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


async def _email(request: Request, entry: Entry, choice: Choice, details, form: FormData,
                 values: dict) -> Response:
    desk = _desk(request)
    smtp = desk.config.smtp
    if smtp is None:
        raise HTTPException(404)
    to = _field(form, "to")
    try:
        service.check_address(to)
    except UserError as error:
        return await _leaflet_page(request, entry, choice, 400, tuple(error.problems),
                                   {**values, "to": to})
    user = request.state.user
    who = user.name if user else (request.client.host if request.client else "?")
    if not desk.email_limit.allow(who):
        return problem_page(request, 429, "Too many emails",
                            f"At most {desk.config.emails_per_hour} emails an hour can be sent "
                            "from one account. Print the leaflet instead, or try later.")
    job = EmailJob(topic=entry.info.topic_bytes(), settings=entry.info.settings,
                   brand=choice.brand, as_of=entry.review.as_of, to=to,
                   smtp=service.smtp_server(smtp.host, smtp.port, smtp.starttls, smtp.user,
                                            desk.config.smtp_password()),
                   sender=smtp.sender, personal=details)
    try:
        reply = await desk.pool.run(job)
    except (Busy, WorkerFailed) as error:
        return _trouble(request, error)
    if reply.bug is not None:
        return _trouble(request, reply)
    if not reply.sent:
        return await _leaflet_page(request, entry, choice, 502, reply.problems, values)
    log.info("emailed one leaflet")
    return await _leaflet_page(request, entry, choice, message="Sent. The leaflet was emailed.")


# ---------------------------------------------------------------------- basket


def _basket(request: Request) -> list[str]:
    items = request.session.get("basket", [])
    return [i for i in items if isinstance(i, str)][:BASKET_MAX]


def _basket_entries(request: Request) -> list[Entry]:
    desk = _desk(request)
    entries = []
    for item in _basket(request):
        handout_id, _, language = item.partition(":")
        entry = desk.catalogue.get(handout_id, language or None, staff=_staff(request))
        if entry is not None:
            entries.append(entry)
    return entries


@guarded
async def basket(request: Request) -> Response:
    desk = _desk(request)
    return page(request, "basket.html", entries=_basket_entries(request),
                message=request.query_params.get("done", ""), brands=desk.brands,
                default_brand=desk.default_brand)


@guarded
async def basket_print(request: Request, form: FormData) -> Response:
    """The basket as one PDF packet: one print job, each leaflet with its own pages."""
    desk = _desk(request)
    entries = _basket_entries(request)
    if not entries:
        return RedirectResponse("/basket", status_code=303)
    brand = _field(form, "brand") or desk.default_brand
    action = form.get("action")
    if brand not in desk.brands or action not in ("print", "download"):
        raise HTTPException(404)
    job = PacketJob(topics=tuple(e.info.topic_bytes() for e in entries),
                    settings=entries[0].info.settings, brand=brand, as_of=entries[0].review.as_of,
                    large_print=form.get("large") == "1")
    try:
        reply = await desk.pool.run(job)
    except (Busy, WorkerFailed) as error:
        return _trouble(request, error)
    if not reply.ok:
        return _trouble(request, reply)
    return pdf_response(reply.pdf, "packet", download=action == "download")


@guarded
async def basket_change(request: Request, form: FormData) -> Response:
    desk = _desk(request)
    what = request.path_params["what"]
    if what not in ("add", "remove", "clear"):
        raise HTTPException(404)
    items = _basket(request)
    done = ""
    if what == "clear":
        items, done = [], "emptied"
    else:
        handout_id, language = _field(form, "id"), _field(form, "lang")
        entry = desk.catalogue.get(handout_id, language or None, staff=_staff(request)) \
            if _ID.fullmatch(handout_id) else None
        if entry is None:
            raise HTTPException(404)
        item = f"{entry.id}:{entry.language}"
        if what == "add" and item not in items:
            if len(items) >= BASKET_MAX:
                return problem_page(request, 400, "The basket is full",
                                    f"A basket holds at most {BASKET_MAX} leaflets.")
            items.append(item)
            done = "added"
        elif what == "remove" and item in items:
            items.remove(item)
            done = "removed"
    request.session["basket"] = items
    return RedirectResponse(f"/basket?done={done}", status_code=303)


# ---------------------------------------------------------------------- connect, sign-in


@guarded
async def connect(request: Request) -> Response:
    """``/connect?code=SYSTEM|CODE&lang=es``: the leaflets for a diagnosis or drug code."""
    desk = _desk(request)
    code = request.query_params.get("code", "")[:300]
    try:
        query = parse_query(code)
    except ValueError as error:
        return problem_page(request, 400, "This code cannot be looked up",
                            f"{str(error)[:1].upper()}{str(error)[1:]}. Link here as "
                            "/connect?code=SYSTEM|CODE, for example "
                            "/connect?code=ICD-10-CM|E11.9&lang=es (the system may also be "
                            "its FHIR address, such as http://hl7.org/fhir/sid/icd-10-cm).")
    staff = _staff(request)
    language = request.query_params.get("lang") or None
    if language not in desk.catalogue.languages(staff=staff):
        language = None
    found = desk.catalogue.by_code(query, language=language, staff=staff)
    other_languages = False
    if not found and language:  # none in that language: show the others, and say so
        found = desk.catalogue.by_code(query, staff=staff)
        other_languages = bool(found)
    return page(request, "connect.html", code=query.token, found=found, language=language,
                other_languages=other_languages)


async def signin(request: Request) -> Response:
    desk = _desk(request)
    request.state.user = _user(request)
    if request.method == "GET":
        return page(request, "signin.html", error="")
    form = await read_form(request)
    if not csrf_ok(request.session, form.get("csrftoken")):
        return problem_page(request, 403, "This form has expired",
                            "Go back, reload the page and try again.")
    client = request.client.host if request.client else "?"
    if desk.signin_limit.full(client):  # failed attempts only are counted
        return page(request, "signin.html", status=429,
                    error="Too many attempts. Wait five minutes and try again.")
    user = account_user(desk.config, _field(form, "name"), str(form.get("password") or ""))
    if user is None:
        desk.signin_limit.add(client)
        return page(request, "signin.html", status=401,
                    error="That name and password do not match an account.")
    request.session.clear()
    request.session["user"] = user.name
    request.session["csrf"] = secrets.token_urlsafe(32)
    log.info("signed in: %s (%s)", user.name, user.role)
    return RedirectResponse("/", status_code=303)


@guarded
async def signout(request: Request, form: FormData) -> Response:
    request.session.clear()
    return RedirectResponse("/signin" if _desk(request).config.signs_in else "/", status_code=303)


async def not_found(request: Request, exc: Exception) -> Response:
    request.state.user = getattr(request.state, "user", None)
    status = getattr(exc, "status_code", 404)
    if status == 405:
        return problem_page(request, 405, "Not here", "This address does not take that request.")
    if status == 400:
        return problem_page(request, 400, "Something is missing", "Go back and try again.")
    return problem_page(request, 404, "Not found",
                        "There is no such page or leaflet. Search for it from the start page.")


def create_app(desk: Desk) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app):
        await desk.start()
        try:
            yield
        finally:
            desk.stop()

    routes = [
        Route("/", find),
        Route("/leaflet/{handout_id}", leaflet),
        Route("/leaflet/{handout_id}/pdf", leaflet_pdf),
        Route("/leaflet/{handout_id}/page/{number:int}", leaflet_page_image),
        Route("/leaflet/{handout_id}/copy", personal, methods=["POST"]),
        Route("/basket", basket),
        Route("/basket/print", basket_print, methods=["POST"]),
        Route("/basket/{what:str}", basket_change, methods=["POST"]),
        Route("/connect", connect),
        Route("/signin", signin, methods=["GET", "POST"]),
        Route("/signout", signout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    session_key = desk.config.session_key or secrets.token_urlsafe(48)
    middleware = [
        Middleware(Guard),
        Middleware(SessionMiddleware, secret_key=session_key, session_cookie="desk_session",
                   same_site="strict", https_only=desk.config.secure_cookies, max_age=12 * 3600),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: not_found})
    app.state.desk = desk
    return app
