"""What can go wrong at a provider, reduced to the few causes a user is told about."""

from __future__ import annotations

import enum

MODERATION_WORDS = ("sensitive", "moderation", "nsfw", "safety", "policy", "prohibited", "inappropriate")


class Cause(enum.StrEnum):
    BAD_INPUT = "bad_input"  # the provider refused what we sent (422)
    MODERATION = "moderation"  # the prompt or image was rejected by a content filter
    OUT_OF_CREDITS = "out_of_credits"  # our account at the provider is empty (402)
    PROVIDER_DOWN = "provider_down"  # 5xx, 455 maintenance, 505 feature disabled, 401 misconfigured key
    RATE_LIMITED = "rate_limited"  # 429
    TIMEOUT = "timeout"  # no result within the overall limit
    UNKNOWN = "unknown"


TRANSIENT = frozenset({Cause.PROVIDER_DOWN, Cause.RATE_LIMITED})


class ProviderError(Exception):
    def __init__(
        self, cause: Cause, message: str, *, status: int = 0, code: int = 0, transient: bool | None = None
    ) -> None:
        super().__init__(f"{cause.value}: {message} (http {status}, code {code})")
        self.cause = cause
        self.message = message
        self.status = status
        self.code = code
        self.transient = cause in TRANSIENT if transient is None else transient


def mentions_moderation(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in MODERATION_WORDS)


def classify(status: int, code: int, message: str) -> ProviderError | None:
    """Kie answers errors both as HTTP statuses and as `code` inside HTTP-200 bodies: read both."""
    effective = code if status == 200 else status
    if status == 200 and code in (0, 200):
        return None
    if effective == 402:
        return ProviderError(Cause.OUT_OF_CREDITS, message, status=status, code=code)
    if effective == 422 or effective == 400:
        cause = Cause.MODERATION if mentions_moderation(message) else Cause.BAD_INPUT
        return ProviderError(cause, message, status=status, code=code)
    if effective == 429 or effective == 433:
        return ProviderError(Cause.RATE_LIMITED, message, status=status, code=code)
    if effective in (401, 403):
        # Our key is wrong: not the user's fault, and retrying will not help.
        return ProviderError(Cause.PROVIDER_DOWN, message, status=status, code=code, transient=False)
    if effective == 501:
        cause = Cause.MODERATION if mentions_moderation(message) else Cause.UNKNOWN
        return ProviderError(cause, message, status=status, code=code, transient=False)
    if effective == 505:
        return ProviderError(Cause.PROVIDER_DOWN, message, status=status, code=code, transient=False)
    if effective == 455 or effective >= 500:
        return ProviderError(Cause.PROVIDER_DOWN, message, status=status, code=code)
    return ProviderError(Cause.UNKNOWN, message, status=status, code=code, transient=False)
