"""The HTTP API: ``POST /extract``, ``GET /schema``, ``GET /healthz`` (and FastAPI's ``/docs``)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from schemas.contract import ExtractionResponse, ExtractRequest
from service import __version__
from service.errors import KhabarError
from service.extractor import Extractor
from service.settings import Settings, get_settings

log = logging.getLogger("khabar.api")


def _error(status: int, code: str, message: str, request_id: str,
           headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "request_id": request_id, **extra}}
    return JSONResponse(body, status_code=status, headers=headers)


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", "-")


class RequestIdAndSizeLimit(BaseHTTPMiddleware):
    """Tag every request with an id, and refuse oversized bodies before they are parsed."""

    def __init__(self, app: Any, max_body_bytes: int):
        super().__init__(app)
        self.max_body_bytes = max_body_bytes

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        incoming = request.headers.get("x-request-id", "")
        request_id = incoming if incoming.isascii() and 0 < len(incoming) <= 64 \
            and incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        request.state.request_id = request_id
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            response: Response = _error(
                413, "request_too_large",
                f"the request body is {int(length):,} bytes; the limit is "
                f"{self.max_body_bytes:,}", request_id)
        else:
            response = await call_next(request)
        response.headers["x-request-id"] = request_id
        return response


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
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
    app.add_middleware(RequestIdAndSizeLimit, max_body_bytes=settings.max_chars * 6 + 65_536)

    @app.exception_handler(KhabarError)
    async def _khabar_error(request: Request, exc: KhabarError) -> JSONResponse:
        log.warning("request %s failed: %s %s", _request_id(request), exc.code, exc.message)
        headers = {"retry-after": str(max(1, round(exc.retry_after)))} \
            if exc.retry_after is not None else None
        return _error(exc.status, exc.code, exc.message, _request_id(request), headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")}
                  for e in exc.errors()]
        return _error(422, "invalid_request", _validation_message(errors), _request_id(request),
                      detail=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request %s failed unexpectedly", _request_id(request))
        return _error(500, "internal_error", "the service failed unexpectedly; quote the "
                      "request id when reporting it", _request_id(request))

    @app.post("/extract", response_model=ExtractionResponse,
              responses={413: {"description": "Article or body too large"},
                         422: {"description": "Invalid request"},
                         502: {"description": "Provider failed or answered invalid output"},
                         503: {"description": "Provider busy; retry after the given delay"},
                         504: {"description": "Provider timed out"}})
    async def extract(body: ExtractRequest) -> ExtractionResponse:
        return await run_in_threadpool(extractor.extract, body)

    @app.get("/schema")
    async def schema() -> dict[str, Any]:
        """JSON Schema of the ``/extract`` response (contract version 1)."""
        return ExtractionResponse.model_json_schema()

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        try:
            provider = extractor.providers.get()
            ready, detail = provider.ready()
            name = provider.identity.name
        except KhabarError as exc:
            ready, detail, name = False, exc.message, settings.provider
        body = {"status": "ok" if ready else "unavailable", "provider": name,
                "provider_ready": ready, "provider_detail": detail,
                "cache": extractor.cache.status, "prompt_version": extractor.prompts.version,
                "version": __version__}
        return JSONResponse(body, status_code=200 if ready else 503)

    return app
