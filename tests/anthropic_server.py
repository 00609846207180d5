"""A small server that speaks Anthropic's Messages API, with the same scripted actions and
faults as :mod:`tests.openai_server`, for tests. It listens on 127.0.0.1 only.

An answer's content is the JSON the model "wrote"; it goes back as the ``tool_use`` block of the
tool the request forces (instructor's tool mode), or as a text block when no tool is named.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from tests.openai_server import OpenAIServer


@dataclass
class AnthropicServer(OpenAIServer):
    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/messages")
        async def messages(request: Request) -> Response:
            body, action = await self.take(request)
            kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(action.status,
                                                                        "api_error")
            failed = await self.fault(action, {"type": "error", "error": {
                "type": kind, "message": "injected failure"}})
            if failed is not None:
                return failed
            tool = (body.get("tool_choice") or {}).get("name")
            if tool is not None:
                try:
                    block: dict[str, Any] = {"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex}",
                                             "name": tool, "input": json.loads(action.content or "")}
                except json.JSONDecodeError:  # the model wrote prose instead of calling the tool
                    block = {"type": "text", "text": action.content or ""}
            else:
                block = {"type": "text", "text": action.content or ""}
            stop = {"stop": "tool_use" if block["type"] == "tool_use" else "end_turn",
                    "length": "max_tokens"}.get(action.finish_reason, "end_turn")
            return JSONResponse({
                "id": f"msg_{uuid.uuid4().hex}", "type": "message", "role": "assistant",
                "model": body.get("model", "test-model"), "content": [block],
                "stop_reason": stop, "stop_sequence": None,
                "usage": {"input_tokens": 100, "output_tokens": 20},
            })

        return app
