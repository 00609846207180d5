"""The HTTP API: ``POST /extract``, ``GET /schema``, ``GET /healthz`` (and FastAPI's ``/docs``)."""

from __future__ import annotations

import hmac
import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schemas.contract import NOT_BLANK, ErrorResponse, ExtractionResponse, ExtractRequest
from service import __version__
from service.errors import KhabarError
from service.extractor import Extractor
from service.jobs.routes import JSONL_MEDIA, add_job_routes
from service.settings import Settings, get_settings
from service.visualization import review_page

log = logging.getLogger("khabar.api")
access = logging.getLogger("khabar.access")


def _error(status: int, code: str, message: str, request_id: str,
           headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "request_id": request_id, **extra}}
    return JSONResponse(body, status_code=status, headers=headers)


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", "-")


class Gatekeeper:
    """What every request passes before the app sees it, as plain ASGI (no body copies).

    Tags the request with an id (the caller's ``x-request-id`` when sane), checks the bearer
    token when tokens are configured, refuses a body over the cap while it is still arriving
    (``Content-Length`` or not), and writes one access-log line that carries no article text,
    token or header.
    """

    OPEN_PATHS = frozenset({"/healthz"})
    # Paths whose page posts an HTML form; every other body must be JSON (or, for jobs, JSONL).
    FORM_PATHS = frozenset({"/view"})
    JOB_PATHS = frozenset({"/jobs"})

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, tokens: list[bytes],
                 max_job_bytes: int | None = None):
        self.app = app
        self.max_body_bytes = max_body_bytes
        # A job carries many articles: its own cap.
        self.max_job_bytes = max_job_bytes or max_body_bytes
        self.tokens = tokens

    def _authorized(self, headers: Headers) -> bool:
        scheme, _, presented = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        candidate = presented.strip().encode("utf-8", "replace")
        # Compare against every token so the time taken does not say which one nearly matched.
        return any([hmac.compare_digest(candidate, t) for t in self.tokens])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = Headers(scope=scope)
        incoming = headers.get("x-request-id", "")
        request_id = incoming if incoming.isascii() and 0 < len(incoming) <= 64 \
            and incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = {"code": 0}

        async def send_tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        async def refuse(response: Response) -> None:
            await response(scope, receive, send_tagged)

        try:
            if self.tokens and scope["path"] not in self.OPEN_PATHS \
                    and not self._authorized(headers):
                await refuse(_error(401, "unauthorized", "a valid bearer token is required "
                                    "(Authorization: Bearer TOKEN)", request_id,
                                    {"www-authenticate": "Bearer"}))
                return
            media = _media_type(headers)
            job = scope["path"] in self.JOB_PATHS
            form_ok = scope["path"] in self.FORM_PATHS and media == _FORM_MEDIA
            jsonl_ok = job and media in JSONL_MEDIA
            if scope["method"] in ("POST", "PUT", "PATCH") and media and not form_ok \
                    and not jsonl_ok and media != "application/json" \
                    and not media.endswith("+json"):
                await refuse(_error(415, "unsupported_media_type", f"the body is sent as "
                                    f"{media[:60]!r}; send it as application/json", request_id))
                return
            cap = self.max_job_bytes if job else self.max_body_bytes
            length = headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > cap:
                await refuse(self._too_large(int(length), request_id, cap))
                return
            body = await self._read_body(receive, cap)
            if body is None:
                await refuse(self._too_large(None, request_id, cap))
                return
            await self.app(scope, _replay(body, receive), send_tagged)
        finally:
            access.info("%s %s %s %d %.1fms worker=%d", request_id, scope["method"],
                        scope["path"], status["code"], (time.perf_counter() - started) * 1000,
                        os.getpid())

    def _too_large(self, length: int | None, request_id: str, cap: int) -> JSONResponse:
        size = f"{length:,} bytes" if length is not None else "over the limit"
        return _error(413, "request_too_large", f"the request body is {size}; the limit is "
                      f"{cap:,} bytes", request_id)

    async def _read_body(self, receive: Receive, cap: int) -> list[Message] | None:
        """The body's messages, or None as soon as it grows past the cap."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > cap:
                return None
            if not message.get("more_body", False):
                return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


_ERROR_MEANINGS = {
    400: "The body is not JSON in UTF-8",
    401: "Missing or invalid bearer token (when KHABAR_API_TOKENS is set)",
    403: "This provider may not be chosen per request (KHABAR_REQUEST_PROVIDERS)",
    413: "Article or request body too large",
    415: "The body is not sent as application/json",
    422: "Invalid request: a field is missing, of the wrong type or out of range",
    502: "The provider failed, or answered output that stayed invalid after re-asking",
    503: "The provider is busy or rate-limited; retry after the Retry-After delay",
    504: "The provider did not answer before the request deadline",
}


def _errors(*statuses: int, json_only: bool = False) -> dict[int | str, dict[str, Any]]:
    if json_only:
        # On a route that answers HTML, errors are still JSON: say so rather than let the
        # route's media type be assumed.
        return {status: {"description": _ERROR_MEANINGS[status], "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}
            for status in statuses}
    return {status: {"model": ErrorResponse, "description": _ERROR_MEANINGS[status]}
            for status in statuses}


_FORM_MEDIA = "application/x-www-form-urlencoded"


def _media_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


async def _view_request(request: Request) -> ExtractRequest:
    """The request for ``POST /view``: JSON as for ``/extract``, or the form's fields."""
    raw = await request.body()
    try:
        if _media_type(request.headers) == _FORM_MEDIA:
            fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True)
                      .items() if k in ("text", "published", "title", "id") and v}
            if not fields.get("published"):
                fields.pop("published", None)
            return ExtractRequest.model_validate(fields)
        return ExtractRequest.model_validate_json(raw)
    except UnicodeDecodeError as exc:
        raise StarletteHTTPException(400) from exc
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
        if err.get("type") == "json_invalid":
            parts.append(f"the request body is not valid JSON ({err.get('reason', 'decode error')})")
            continue
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}".replace("Value error, ", ""))
    return "; ".join(parts)


def create_app(settings: Settings | None = None, extractor: Extractor | None = None) -> FastAPI:
    settings = settings or get_settings()
    extractor = extractor or Extractor(settings)
    app = FastAPI(title="Khabar", version=__version__,
                  description="Structured extraction from Arabic news, grounded in the source.")
    app.state.extractor = extractor
    # JSON may escape every character as \uXXXX: six bytes a character, plus the envelope.
    app.add_middleware(Gatekeeper, max_body_bytes=settings.max_chars * 6 + 65_536,
                       tokens=settings.tokens(), max_job_bytes=settings.max_job_bytes)
    add_job_routes(app, settings, extractor)

    form_page = (Path(__file__).parent / "templates" / "view_form.html").read_text(
        encoding="utf-8")

    async def _extracted(body: ExtractRequest, render: Callable[[ExtractionResponse], str]
                         ) -> str:
        """Extract ``body`` and render the result, both off the event loop (the model, the
        cache and grounding all block)."""
        if body.provider is not None:
            extractor.providers.allow(body.provider)
        return await run_in_threadpool(lambda: render(extractor.extract(body)))

    @app.exception_handler(KhabarError)
    async def _khabar_error(request: Request, exc: KhabarError) -> JSONResponse:
        log.warning("request %s failed: %s %s", _request_id(request), exc.code, exc.message)
        headers = {"retry-after": str(max(1, round(exc.retry_after)))} \
            if exc.retry_after is not None else None
        return _error(exc.status, exc.code, exc.message, _request_id(request), headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            cause = exc.__cause__ or exc.__context__
            reason = f" ({type(cause).__name__}: {str(cause)[:200]})" if cause else ""
            message = f"the request body is not valid JSON in UTF-8{reason}"
        else:
            message = str(exc.detail)
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
        return _error(exc.status_code, codes.get(exc.status_code, "http_error"), message,
                      _request_id(request), dict(exc.headers) if exc.headers else None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")}
                  | ({"reason": str(e["ctx"].get("error"))[:200]}
                     if e.get("type") == "json_invalid" and isinstance(e.get("ctx"), dict)
                     else {}) for e in exc.errors()]
        return _error(422, "invalid_request", _validation_message(errors), _request_id(request),
                      detail=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request %s failed unexpectedly", _request_id(request))
        return _error(500, "internal_error", "the service failed unexpectedly; quote the "
                      "request id when reporting it", _request_id(request))

    @app.post("/extract", response_model=ExtractionResponse, responses=_errors(
        400, 401, 403, 413, 415, 422, 502, 503, 504))
    async def extract(body: ExtractRequest) -> Response:
        result = await _extracted(body, lambda r: r.model_dump_json())
        # The extractor's result is already a validated ExtractionResponse; serialising it
        # directly spares FastAPI's second validation pass (a third of a cache hit's time).
        return Response(result, media_type="application/json")

    @app.get("/view", response_class=HTMLResponse, responses=_errors(401, json_only=True))
    async def view_form() -> HTMLResponse:
        """A page to paste an article into; it posts to ``POST /view``."""
        return HTMLResponse(form_page)

    @app.post("/view", response_class=HTMLResponse, responses=_errors(
        400, 401, 403, 413, 415, 422, 502, 503, 504, json_only=True),
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ExtractRequest"}},
            "application/x-www-form-urlencoded": {"schema": {
                "type": "object", "required": ["text"],
                "properties": {"text": {"type": "string", "pattern": NOT_BLANK},
                               # A calendar date, or empty (an HTML date input left empty).
                               "published": {"anyOf": [
                                   {"type": "string", "format": "date"},
                                   {"type": "string", "maxLength": 0}]}}}}}}})
    async def view(request: Request) -> HTMLResponse:
        """Extract an article (as ``/extract`` does) and answer with its review page: the text
        right to left, every grounded span highlighted, each record a click away."""
        body = await _view_request(request)
        return HTMLResponse(await _extracted(body, lambda r: review_page(r, body.text)))

    @app.get("/schema", responses=_errors(401))
    async def schema() -> dict[str, Any]:
        """JSON Schema of the ``/extract`` response (contract version 1)."""
        return ExtractionResponse.model_json_schema()

    @app.get("/healthz", responses={503: {"description": "The provider cannot serve"}})
    async def healthz() -> JSONResponse:
        try:
            provider = extractor.providers.get()
            ready, detail = provider.ready()
            name = provider.identity.name
            prompt_version = extractor.prompts_for(provider).version
        except KhabarError as exc:
            ready, detail, name = False, exc.message, settings.provider
            prompt_version = extractor.prompts.version
        body = {"status": "ok" if ready else "unavailable", "provider": name,
                "provider_ready": ready, "provider_detail": detail,
                "cache": extractor.cache.status, "prompt_version": prompt_version,
                "version": __version__}
        return JSONResponse(body, status_code=200 if ready else 503)

    return app
