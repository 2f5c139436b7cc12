"""Text models through an OpenAI-compatible chat-completions endpoint."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from providers.errors import Cause, ProviderError, classify


@dataclass
class ChatClient:
    session: aiohttp.ClientSession
    base_url: str  # ending in /v1
    api_key: str
    timeout: float = 120.0

    async def complete(self, model: str, system: str, prompt: str) -> str:
        body = {
            "model": model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
        }
        headers = {"Authorization": f"Bearer {self.api_key}"}
        try:
            async with self.session.post(
                f"{self.base_url}/chat/completions",
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                payload = await response.json(content_type=None)
                if response.status != 200:
                    message = str((payload or {}).get("error", {}).get("message", response.reason))
                    error = classify(response.status, response.status, message)
                    raise error or ProviderError(Cause.UNKNOWN, message, status=response.status)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ProviderError(Cause.PROVIDER_DOWN, f"network: {err!r}") from err
        try:
            return str(payload["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError) as err:
            raise ProviderError(Cause.UNKNOWN, f"unexpected answer: {payload!r}", transient=False) from err
