"""The support flow: the user writes one message; we keep it and tell them its number."""

from __future__ import annotations

from typing import Any

from engine.turn import Turn
from flows import registry
from storage.support import SupportRequests

MAX_SUPPORT_TEXT = 2000


@registry.guard
async def support_text_fits(turn: Turn) -> bool:
    return bool(turn.text and turn.text.strip()) and len(turn.text or "") <= MAX_SUPPORT_TEXT


@registry.action()
async def save_support_request(turn: Turn) -> None:
    number = await SupportRequests(turn.services["db"]).add(turn.user.id, (turn.text or "").strip())
    turn.data["support_request"] = number


@registry.action(notices=("support.too_long",))
async def explain_support_limit(turn: Turn) -> None:
    turn.notify("support.too_long", length=len(turn.text or ""), limit=MAX_SUPPORT_TEXT)


@registry.screen_data(provides=("limit",))
async def support_limit(turn: Turn) -> dict[str, Any]:
    return {"limit": MAX_SUPPORT_TEXT}


@registry.screen_data(provides=("number",))
async def support_request_number(turn: Turn) -> dict[str, Any]:
    return {"number": turn.data.get("support_request", "")}
