"""The Kie.ai client (aiohttp): create a task, read its state, upload a user's file, fetch a result.

Market models use `jobs/createTask` + `jobs/recordInfo`; Veo and Suno have endpoints of their own and
report progress differently — each family is translated to one `TaskStatus`. Errors are read from the
HTTP status AND the body's `code` (Kie sends 402/429/455 inside HTTP 200 too); transient ones are
retried with exponential backoff, the rest raised at once.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from providers.errors import Cause, ProviderError, classify

DEFAULT_API = "https://api.kie.ai"
DEFAULT_UPLOAD = "https://kieai.redpandaai.co"
FINAL_STATES = ("success", "fail")


@dataclass(frozen=True)
class TaskStatus:
    state: str  # waiting | queuing | generating | success | fail
    urls: tuple[str, ...] = ()
    fail_code: str = ""
    fail_message: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


@dataclass
class Retry:
    attempts: int = 4  # tries in all, for a transient error
    base_delay: float = 0.5  # seconds before the second try; doubled each time, with jitter
    max_delay: float = 8.0


@dataclass
class KieClient:
    session: aiohttp.ClientSession
    api_key: str
    api_url: str = DEFAULT_API
    upload_url: str = DEFAULT_UPLOAD
    retry: Retry = field(default_factory=Retry)
    timeout: float = 30.0

    # -- requests --------------------------------------------------------------------------------------

    async def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        """One API call with retries; returns the body's `data`."""
        delay = self.retry.base_delay
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return await self._once(method, url, **kwargs)
            except ProviderError as err:
                if not err.transient or attempt == self.retry.attempts:
                    raise
            except (aiohttp.ClientError, TimeoutError) as err:
                if attempt == self.retry.attempts:
                    raise ProviderError(Cause.PROVIDER_DOWN, f"network: {err!r}") from err
            await asyncio.sleep(min(self.retry.max_delay, delay) * random.uniform(0.8, 1.2))
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with self.session.request(method, url, headers=headers, timeout=timeout, **kwargs) as response:
            text = await response.text()
            try:
                body = json.loads(text) if text else {}
            except json.JSONDecodeError:
                body = {}
            if not isinstance(body, dict):
                body = {}
            code = body.get("code", 0 if response.status != 200 else 200)
            message = str(body.get("msg") or body.get("message") or text[:200] or response.reason)
            error = classify(response.status, int(code) if isinstance(code, int) else 0, message)
            if error is not None:
                raise error
            return body.get("data")

    # -- tasks -----------------------------------------------------------------------------------------

    async def create(self, family: str, model: str, inputs: dict[str, Any], callback_url: str | None) -> str:
        """Start a generation; returns Kie's task id."""
        if family == "kie_veo":
            body: dict[str, Any] = {**inputs}
            url = f"{self.api_url}/api/v1/veo/generate"
        elif family == "kie_suno":
            body = {"customMode": False, "model": "V5", **inputs}
            url = f"{self.api_url}/api/v1/generate"
        else:
            body = {"model": model, "input": inputs}
            url = f"{self.api_url}/api/v1/jobs/createTask"
        if callback_url:
            body["callBackUrl"] = callback_url
        elif family == "kie_suno":
            body["callBackUrl"] = "https://localhost/unused"  # Suno requires one; we poll anyway
        data = await self._call("POST", url, json=body)
        task_id = data.get("taskId") if isinstance(data, dict) else None
        if not task_id:
            raise ProviderError(Cause.UNKNOWN, f"no taskId in the answer: {data!r}", transient=False)
        return str(task_id)

    async def status(self, family: str, task_id: str) -> TaskStatus:
        if family == "kie_veo":
            data = await self._call("GET", f"{self.api_url}/api/v1/veo/record-info", params={"taskId": task_id})
            return veo_status(data or {})
        if family == "kie_suno":
            data = await self._call("GET", f"{self.api_url}/api/v1/generate/record-info", params={"taskId": task_id})
            return suno_status(data or {})
        data = await self._call("GET", f"{self.api_url}/api/v1/jobs/recordInfo", params={"taskId": task_id})
        return market_status(data or {})

    async def credits(self) -> int:
        return int(await self._call("GET", f"{self.api_url}/api/v1/chat/credit"))

    # -- files -----------------------------------------------------------------------------------------

    async def upload(self, content: bytes, file_name: str, mime_type: str) -> str:
        """Put a user's file on Kie's file host; returns its URL (kept there 3 days)."""
        form = aiohttp.FormData()
        form.add_field("file", content, filename=file_name, content_type=mime_type)
        form.add_field("uploadPath", "studio-bot")
        form.add_field("fileName", file_name)
        data = await self._call("POST", f"{self.upload_url}/api/file-stream-upload", data=form)
        url = (data or {}).get("downloadUrl") or (data or {}).get("fileUrl")  # the docs show both names
        if not url:
            raise ProviderError(Cause.UNKNOWN, f"no file URL in the upload answer: {data!r}", transient=False)
        return str(url)

    async def fetch(self, url: str, limit: int) -> tuple[bytes, str]:
        """Download a result: its bytes and Content-Type; raises when it is larger than `limit`."""
        timeout = aiohttp.ClientTimeout(total=120)
        async with self.session.get(url, timeout=timeout) as response:
            if response.status != 200:
                raise ProviderError(Cause.PROVIDER_DOWN, f"result {url} answered {response.status}")
            chunks, size = [], 0
            async for chunk in response.content.iter_chunked(1 << 16):
                size += len(chunk)
                if size > limit:
                    raise OverflowError(url)
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("Content-Type", "application/octet-stream").split(";")[0]


def market_status(data: dict[str, Any]) -> TaskStatus:
    state = str(data.get("state") or "waiting")
    urls: list[str] = []
    raw = data.get("resultJson")
    if raw:
        result = json.loads(raw) if isinstance(raw, str) else raw  # a JSON string, per the docs
        urls = list(result.get("resultUrls") or [])
    return TaskStatus(state, tuple(urls), str(data.get("failCode") or ""), str(data.get("failMsg") or ""))


def veo_status(data: dict[str, Any]) -> TaskStatus:
    flag = data.get("successFlag", 0)
    if flag == 1:
        urls = (data.get("response") or {}).get("resultUrls") or []
        return TaskStatus("success", tuple(urls))
    if flag in (2, 3):
        return TaskStatus(
            "fail", fail_code=str(data.get("errorCode") or flag), fail_message=str(data.get("errorMessage") or "")
        )
    return TaskStatus("generating")


SUNO_FAILED = ("CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION", "SENSITIVE_WORD_ERROR")


def suno_status(data: dict[str, Any]) -> TaskStatus:
    status = str(data.get("status") or "PENDING")
    if status == "SUCCESS":
        tracks = (data.get("response") or {}).get("sunoData") or []
        return TaskStatus("success", tuple(t["audioUrl"] for t in tracks if t.get("audioUrl")))
    if status in SUNO_FAILED:
        message = str(data.get("errorMessage") or status)
        if status == "SENSITIVE_WORD_ERROR":
            message = f"sensitive word: {message}"
        return TaskStatus("fail", fail_code=status, fail_message=message)
    return TaskStatus("queuing" if status == "PENDING" else "generating")
