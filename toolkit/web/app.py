"""`esep serve`: the self-check page, the JSON API and the intake page, as one Starlette application.

Why Starlette + uvicorn + python-multipart: one small ASGI stack that streams uploads to disk, runs
under the one embedded server (`uvicorn`, no other service to start) and awaits worker processes
without tying up a thread per waiting request. This module is imported only by `esep serve`.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .. import __version__
from ..findings import SEVERITIES, Finding
from ..package import MAX_FILE_BYTES
from . import intake
from .jobs import DEFAULT_JOB, Busy, WorkerPool
from .pages import PageState, XLSX_TYPE, checked_copy_name, content_disposition, esc, message_box, page, result_section
from .texts import PAGE_LANGS, size_text, t

log = logging.getLogger("esep.serve")

GiB = 1024 ** 3
FORM_OVERHEAD = 64 * 1024          # multipart headers and the small fields around the file
CSRF_COOKIE = "esep_csrf"
LANG_COOKIE = "esep_lang"


@dataclass
class Config:
    """Every limit of the server (the README lists them)."""
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    queue: int = 16                     # requests waiting for a worker beyond those being checked
    timeout: float = 30.0               # hard limit on one check, seconds
    memory: int = 1 * GiB               # address-space limit of each worker process
    max_bytes: int = MAX_FILE_BYTES     # the CLI's file-size limit
    upload_timeout: float = 120.0       # the whole upload must arrive within this
    retry_after: int = 10               # seconds, told to clients when the server is busy
    inbox: Path | None = None
    codes: Path | None = None
    roster: Path | None = None
    job: str = DEFAULT_JOB              # the function a worker runs (tests and embedders swap it)

    @property
    def intake(self) -> bool:
        return self.inbox is not None


SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 b"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Adds the security headers to every response, whatever produced it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TooLarge(Exception):
    def __init__(self, complete: bool = False):
        self.complete = complete         # the whole body has been read already


class BadUpload(Exception):
    def __init__(self, key: str, status: int = 400):
        self.key, self.status = key, status


@dataclass
class Upload:
    path: Path            # a private temporary file; the user's name is never part of it
    name: str             # the name the user gave the file (text only)
    sha256: str
    size: int
    fields: dict


def page_lang(request: Request, form_lang: str | None = None) -> str:
    """Form field, then ?lang=, then the cookie, then Accept-Language (by q), else Kazakh."""
    for candidate in (form_lang, request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in PAGE_LANGS:
            return candidate
    best, best_q = None, -1.0
    for item in request.headers.get("accept-language", "").split(","):
        tag, _, params = item.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if code in PAGE_LANGS and q > best_q:
            best, best_q = code, q
    return best or "kk"


class Server:
    def __init__(self, config: Config):
        self.config = config
        self.pool = WorkerPool(config.workers, config.queue, config.timeout, config.memory, config.job)
        self.codes = intake.load_codes(config.codes) if config.intake else {}
        self.inbox = intake.check_inbox(config.inbox) if config.intake else None
        self.brake = intake.WrongCodeBrake()
        self.tmp: Path | None = None
        self._templates: dict[str, bytes] = {}
        self._static = {
            "app.css": (resources.files(__package__).joinpath("static/app.css").read_bytes(), "text/css; charset=utf-8"),
            "app.js": (resources.files(__package__).joinpath("static/app.js").read_bytes(),
                       "text/javascript; charset=utf-8"),
        }
        self.app = Starlette(routes=[
            Route("/", self.home, methods=["GET"]),
            Route("/check", self.check, methods=["POST"]),
            Route("/submit", self.submit, methods=["POST"]),
            Route("/api/validate", self.api_validate, methods=["POST"]),
            Route("/api/health", self.health, methods=["GET"]),
            Route("/template/{lang}", self.template, methods=["GET"]),
            Route("/static/{name}", self.static, methods=["GET"]),
        ], lifespan=self.lifespan)
        self.app.add_exception_handler(404, self.not_found)
        self.asgi = SecurityHeaders(self.app)

    # -- life cycle -------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def lifespan(self, app):
        self.tmp = Path(tempfile.mkdtemp(prefix="esep-serve-"))     # 0700, removed at exit
        self.pool.start()
        try:
            yield
        finally:
            self.pool.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- pages ------------------------------------------------------------------------------------
    def _state(self, request: Request, lang: str, csrf: str, result_html: str = "") -> PageState:
        return PageState(lang=lang, csrf=csrf, intake=self.config.intake, max_bytes=self.config.max_bytes,
                         timeout=self.config.timeout, result_html=result_html)

    def _html(self, request: Request, lang: str, result_html: str = "", status: int = 200,
              headers: dict | None = None) -> HTMLResponse:
        csrf = request.cookies.get(CSRF_COOKIE) or ""
        fresh = not _token_ok(csrf)
        if fresh:
            csrf = secrets.token_urlsafe(32)
        body = page(self._state(request, lang, csrf, result_html))
        response = HTMLResponse(body, status_code=status, headers={"cache-control": "no-store", **(headers or {})})
        secure = request.url.scheme == "https"
        if fresh:
            response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=secure, path="/")
        if request.cookies.get(LANG_COOKIE) != lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", secure=secure,
                                path="/")
        return response

    async def home(self, request: Request):
        return self._html(request, page_lang(request))

    async def not_found(self, request: Request, exc):
        lang = page_lang(request)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "not-found"}, status_code=404)
        return self._html(request, lang, message_box(t("not_found", lang), lang), status=404)

    async def static(self, request: Request):
        item = self._static.get(request.path_params["name"])
        if item is None:
            return Response(status_code=404)
        return Response(item[0], media_type=item[1], headers={"cache-control": "public, max-age=3600"})

    async def template(self, request: Request):
        lang = request.path_params["lang"]
        if lang not in PAGE_LANGS:
            return await self.not_found(request, None)
        if lang not in self._templates:
            self._templates[lang] = await asyncio.to_thread(_make_template, lang, self.tmp)
        return Response(self._templates[lang], media_type=XLSX_TYPE,
                        headers={"content-disposition": content_disposition(f"final_report_{lang}.xlsx")})

    async def health(self, request: Request):
        return JSONResponse({"status": "ok", "version": __version__, "intake": self.config.intake,
                             **self.pool.stats()}, headers={"cache-control": "no-store"})

    # -- uploads ----------------------------------------------------------------------------------
    async def _receive_upload(self, request: Request) -> Upload:
        """Stream the multipart body to a private temporary file, refusing it (TooLarge) as soon as it
        passes the size limit, whatever Content-Length says."""
        limit = self.config.max_bytes + FORM_OVERHEAD
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise TooLarge()
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise BadUpload("bad_request")
        seen = 0
        original_receive = request.receive

        async def counting_receive():
            nonlocal seen
            message = await original_receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(complete=not message.get("more_body", False))
            return message

        counted = Request(request.scope, receive=counting_receive)
        try:
            form = await counted.form(max_files=1, max_fields=8, max_part_size=4096)
        except TooLarge:
            raise
        except Exception as exc:  # noqa: BLE001 - any malformed body is the client's error
            raise BadUpload("bad_request") from exc
        try:
            fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or (not upload.filename and not upload.size):
                raise BadUpload("no_file")
            job_dir = Path(tempfile.mkdtemp(dir=self.tmp))
            target = job_dir / "upload.xlsx"
            digest = hashlib.sha256()
            size = 0
            with open(target, "xb") as out:
                while chunk := await upload.read(1 << 20):
                    size += len(chunk)
                    if size > self.config.max_bytes:
                        shutil.rmtree(job_dir, ignore_errors=True)
                        raise TooLarge(complete=True)
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0 and not upload.filename:
                shutil.rmtree(job_dir, ignore_errors=True)
                raise BadUpload("no_file")
            return Upload(target, intake.original_name(upload.filename), digest.hexdigest(), size, fields)
        finally:
            await form.close()

    async def _with_upload(self, request: Request, handler, *, api: bool):
        """Admission (503 when full), upload (413 / 400 / 408), CSRF for forms, then handler(upload, lang);
        the upload's temporary folder is removed before the answer leaves."""
        lang = page_lang(request)
        try:
            admission = self.pool.admit()
        except Busy:
            await _discard_body(request, self.config.max_bytes + FORM_OVERHEAD)
            return self._refuse(request, api, lang, 503, "busy", {"retry-after": str(self.config.retry_after)},
                                seconds=self.config.retry_after)
        upload = None
        with admission:
            try:
                upload = await asyncio.wait_for(self._receive_upload(request), self.config.upload_timeout)
                lang = page_lang(request, upload.fields.get("lang"))
                if not api and not self._csrf_ok(request, upload.fields.get("csrf", "")):
                    return self._refuse(request, api, lang, 403, "csrf")
                return await handler(request, upload, lang)
            except TooLarge as exc:
                if not exc.complete:
                    await _discard_body(request, 4 * self.config.max_bytes)
                return self._refuse(request, api, lang, 413, "too_large",
                                    limit=size_text(self.config.max_bytes, lang))
            except BadUpload as exc:
                return self._refuse(request, api, lang, exc.status, exc.key)
            except asyncio.TimeoutError:
                return self._refuse(request, api, lang, 408, "bad_request")
            finally:
                if upload is not None:
                    shutil.rmtree(upload.path.parent, ignore_errors=True)

    def _csrf_ok(self, request: Request, sent: str) -> bool:
        origin = request.headers.get("origin")
        if origin and origin != "null":
            host = request.headers.get("host", "")
            if origin.split("://", 1)[-1] != host:
                return False
        cookie = request.cookies.get(CSRF_COOKIE, "")
        return _token_ok(cookie) and hmac.compare_digest(cookie.encode(), str(sent).encode())

    def _refuse(self, request, api: bool, lang: str, status: int, key: str, headers: dict | None = None, **params):
        text = t(key, lang, **params)
        if api:
            return JSONResponse({"error": key.replace("_", "-"), "message": text}, status_code=status,
                                headers=headers)
        return self._html(request, lang, message_box(text, lang), status=status, headers=headers)

    async def _run(self, upload: Upload, want_copy: bool, lang: str | None):
        """The check in a worker, with messages in `lang` only (None: the workbook's language)."""
        return await self.pool.run(str(upload.path), upload.name, want_copy, (lang,))

    def _failed(self, outcome, upload: Upload, lang: str) -> dict:
        """The per-file object for a check that did not finish: a file-unreadable finding saying why."""
        reason = {"timeout": "timeout", "memory": "too-much-memory"}.get(outcome.status, "crashed")
        finding = Finding("file-unreadable", value=outcome.value if outcome.status == "error" else None,
                          params={"reason": reason})
        counts = {s: 0 for s in SEVERITIES}
        counts["error"] = 1
        return {"path": upload.name, "sha256": upload.sha256, "valid": False, "template_version": None,
                "lang": None, "output": None, "counts": counts, "findings": [finding.to_dict(lang)]}

    def _failure_text(self, outcome, lang: str) -> str:
        if outcome.status == "timeout":
            return t("timeout", lang, seconds=f"{self.config.timeout:g}")
        if outcome.status == "memory":
            return t("memory", lang, limit=size_text(self.config.memory, lang))
        return t("crashed", lang)

    # -- self-check -------------------------------------------------------------------------------
    async def check(self, request: Request):
        return await self._with_upload(request, self._check_page, api=False)

    async def _check_page(self, request, upload: Upload, lang: str):
        outcome = await self._run(upload, True, lang)
        if outcome.status != "ok":
            return self._html(request, lang, message_box(self._failure_text(outcome, lang), lang))
        value = outcome.value
        html = result_section(value["results"][lang], lang, value["copy"], upload.name)
        return self._html(request, lang, html)

    # -- JSON API ---------------------------------------------------------------------------------
    async def api_validate(self, request: Request):
        return await self._with_upload(request, self._api_answer, api=True)

    async def _api_answer(self, request, upload: Upload, lang: str):
        want_copy = request.query_params.get("copy") in ("1", "true", "yes")
        message_lang = request.query_params.get("lang")
        if message_lang not in ("kk", "ru", "en"):
            message_lang = None
        outcome = await self._run(upload, want_copy, message_lang)
        if outcome.status != "ok":
            return JSONResponse(self._failed(outcome, upload, message_lang or "kk"))
        value = outcome.value
        obj = value["results"][message_lang]
        if want_copy:
            if value["copy"] is None:
                return JSONResponse(obj, status_code=422)
            return Response(value["copy"], media_type=XLSX_TYPE, headers={
                "content-disposition": content_disposition(checked_copy_name(upload.name)),
                "x-esep-valid": "true" if obj["valid"] else "false",
                **{f"x-esep-{s}s": str(obj["counts"][s]) for s in SEVERITIES}})
        return JSONResponse(obj)

    # -- intake -----------------------------------------------------------------------------------
    async def submit(self, request: Request):
        if not self.config.intake:
            return await self.not_found(request, None)
        address = request.client.host if request.client else "?"
        wait = self.brake.wait_for(address)
        if wait > 0:
            lang = page_lang(request)
            await _discard_body(request, self.config.max_bytes + FORM_OVERHEAD)
            seconds = math.ceil(wait)
            return self._refuse(request, False, lang, 429, "too_many", {"retry-after": str(seconds)},
                                seconds=seconds)
        return await self._with_upload(request, lambda r, u, lang: self._submit(r, u, lang, address), api=False)

    async def _submit(self, request, upload: Upload, lang: str, address: str):
        code = upload.fields.get("code", "")
        if not intake.normalise_code(code):
            return self._html(request, lang, message_box(t("code_missing", lang), lang), status=400)
        received_at = intake.utc_now()
        outcome = await self._run(upload, True, lang)
        if outcome.status != "ok":
            text = self._failure_text(outcome, lang) + " " + t("not_submitted", lang)
            return self._html(request, lang, message_box(text, lang))
        value = outcome.value
        obj = value["results"][lang]
        if not value["readable"] or not value["org_bin"]:
            before = f'<div class="banner bad" role="alert">{esc(t("not_submitted", lang))}</div>'
            return self._html(request, lang, result_section(obj, lang, value["copy"], upload.name, before=before),
                              status=422)
        grantee = intake.code_matches(self.codes, value["org_bin"], value["agreement_no"], code)
        if grantee is None:
            self.brake.failed(address)
            log.warning("wrong access code from %s for BIN %s, agreement %s", address, value["org_bin"],
                        value["agreement_no"])
            text = t("code_wrong", lang, bin=value["org_bin"], agreement=value["agreement_no"] or "—")
            return self._html(request, lang, message_box(text, lang), status=403)
        self.brake.succeeded(address)
        stored = await asyncio.to_thread(
            intake.store, self.inbox, upload.path, sha256=upload.sha256, org_bin=value["org_bin"],
            agreement_no=value["agreement_no"] or "", name=upload.name, received_at=received_at)
        log.info("stored %s (BIN %s, agreement %s, %s)", stored.path.name, value["org_bin"], value["agreement_no"],
                 "valid" if obj["valid"] else "needs corrections")
        shown = dict(stored.receipt, org_name=value["org_name"] or grantee.org_name)
        return self._html(request, lang, result_section(obj, lang, value["copy"], upload.name, receipt=shown))


def _token_ok(token: str) -> bool:
    return 20 <= len(token) <= 100 and all(c.isalnum() or c in "-_" for c in token)


async def _discard_body(request: Request, limit: int) -> None:
    """Read and drop what is left of the request body (up to `limit`), so that the client, still
    sending, gets the answer instead of a reset connection."""
    async def drain():
        seen = 0
        while seen <= limit:
            message = await request.receive()
            if message["type"] != "http.request":
                return
            seen += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    with contextlib.suppress(Exception):
        await asyncio.wait_for(drain(), 30)


def _make_template(lang: str, folder) -> bytes:
    from ..template import write_template

    path = Path(tempfile.mkdtemp(dir=folder)) / f"final_report_{lang}.xlsx"
    try:
        write_template(path, lang=lang)
        return path.read_bytes()
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


def create_app(config: Config | None = None):
    """The ASGI application (with its security headers) for `config`."""
    return Server(config or Config()).asgi


def run(config: Config, host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "info",
        ready=None) -> None:
    """Serve until interrupted. Behind a reverse proxy, uvicorn trusts X-Forwarded-For/-Proto from
    127.0.0.1 only (FORWARDED_ALLOW_IPS widens that), so client addresses and https are right."""
    import uvicorn

    server = Server(config)
    uv = uvicorn.Config(server.asgi, host=host, port=port, log_level=log_level, proxy_headers=True,
                        limit_concurrency=max(64, 4 * server.pool.capacity), timeout_keep_alive=5,
                        server_header=False, lifespan="on")
    uvicorn.Server(uv).run()
