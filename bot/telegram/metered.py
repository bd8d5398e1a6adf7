"""Counts every HTTP request to the Bot API, by method, and remembers when Telegram last answered.

``MeteredRequest`` wraps PTB's own ``HTTPXRequest`` (built as PTB's ApplicationBuilder would)
and passes every request through unchanged. It sits below the rate limiter and the retries,
so a call retried after flood control counts twice: each is a real request.
"""

from __future__ import annotations

import re
import time
from typing import Any

from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.metrics import Metrics

# The method is the URL's last part: .../bot<token>/sendMessage. File downloads and anything
# else get "other", so a label never carries a path or a token.
_METHOD = re.compile(r"/bot[^/]*/([A-Za-z]{1,40})$")
_UNUSABLE = (401, 404)  # the token is rejected: Telegram answers, but not for us


def method_of(url: str) -> str:
    found = _METHOD.search(url)
    return found.group(1) if found else "other"


class MeteredRequest(BaseRequest):
    def __init__(self, metrics: Metrics, inner: BaseRequest | None = None, **httpx: Any) -> None:
        self.metrics = metrics
        self.inner = inner or HTTPXRequest(**httpx)
        self.last_answer: float | None = None  # time.monotonic() of Telegram's last answer

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = method_of(url)
        self.metrics.api_calls.labels(name).inc()
        try:
            code, payload = await self.inner.do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        except Exception as exc:
            self.metrics.api_failures.labels(name, type(exc).__name__).inc()
            raise
        if code != 200:
            self.metrics.api_failures.labels(name, str(code)).inc()
        if code < 500 and code not in _UNUSABLE:
            self.last_answer = time.monotonic()
        return code, payload
