"""A small server that speaks the OpenAI chat-completions protocol and injects faults, for tests.

Each request takes the next scripted action (or the default): answer with given content,
answer with an HTTP error (optionally with ``Retry-After``), wait first (long enough to hang
past a client's timeout), drop the connection mid-response, or send a body that is not JSON.
Every request body is recorded so tests can check what Khabar sent over the wire. It listens
on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.responses import Response


@dataclass
class Action:
    content: str | None = None       # the assistant message to return
    status: int = 200                # non-200: an error response instead
    retry_after: float | None = None
    delay_s: float = 0.0
    finish_reason: str = "stop"
    drop: bool = False               # start the response, then cut the connection
    raw_body: str | None = None      # a 200 whose body is this text instead of JSON


class _Dropped(Exception):
    pass


def answer(obj: Any) -> Action:
    return Action(content=json.dumps(obj, ensure_ascii=False))


@dataclass
class OpenAIServer:
    default: Action = field(default_factory=lambda: Action(status=500))
    script: deque[Action] = field(default_factory=deque)
    # When set, unscripted requests take its action instead of ``default`` (random latency
    # and faults for load tests).
    chooser: Callable[[], Action] | None = None
    # When set, unscripted requests are answered by what it makes of the request body.
    responder: Callable[[dict[str, Any]], Action] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)  # of each request, in order
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, *actions: Action) -> None:
        with self._lock:
            self.script.extend(actions)

    def _next(self) -> Action:
        with self._lock:
            if self.script:
                return self.script.popleft()
        return self.chooser() if self.chooser is not None else self.default

    async def take(self, request: Request) -> tuple[dict[str, Any], Action]:
        """Record a request (body and headers) and choose its action."""
        body = await request.json()
        with self._lock:
            self.requests.append(body)
            self.headers.append(dict(request.headers))
        action = self.responder(body) if self.responder is not None and not self.script \
            else self._next()
        if action.delay_s:
            await asyncio.sleep(action.delay_s)
        return body, action

    @staticmethod
    async def fault(action: Action, error: dict[str, Any]) -> Response | None:
        """The faulty response an action asks for (``error`` is the protocol's error body)."""
        if action.drop:
            async def cut() -> Any:
                yield b'{"id": "'
                raise _Dropped()
            return StreamingResponse(cut(), media_type="application/json")
        if action.raw_body is not None:
            return PlainTextResponse(action.raw_body, media_type="application/json")
        if action.status != 200:
            headers = {"retry-after": str(action.retry_after)} \
                if action.retry_after is not None else None
            return JSONResponse(error, status_code=action.status, headers=headers)
        return None

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/models")
        async def models() -> dict[str, Any]:
            return {"object": "list", "data": [{"id": "test-model", "object": "model"}]}

        @app.get("/_requests/last")
        async def last_request() -> Any:
            """What the last chat call carried (for benchmarks that run this server apart)."""
            with self._lock:
                return self.requests[-1] if self.requests else None

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            body, action = await self.take(request)
            failed = await self.fault(action, {"error": {"message": "injected failure",
                                                         "type": "server_error"}})
            if failed is not None:
                return failed
            return JSONResponse({
                "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion",
                "created": int(time.time()), "model": body.get("model", "test-model"),
                "choices": [{"index": 0, "finish_reason": action.finish_reason,
                             "message": {"role": "assistant", "content": action.content}}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
            })

        return app
