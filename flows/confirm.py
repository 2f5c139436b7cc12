"""Confirmation and launch: the price for these inputs, the balance, and ONE atomic step that takes the
user's job lock, takes a free use or debits the balance, and records the job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from engine.registry import Key
from engine.texts import Fragment
from engine.turn import Turn
from flows import registry
from flows.billing import launch
from flows.catalog import Model
from flows.journey import (
    asked_fields,
    catalog_of,
    ensure_welcome_bonus,
    free_left,
    model_of,
    moscow_time,
    shown_value,
)
from flows.money import rubles
from storage import JobLocks, Ledger

log = logging.getLogger("flows.confirm")


@dataclass(frozen=True)
class Quote:
    """What this confirmation costs the user right now."""

    price: int  # kopecks, for these inputs
    free: bool  # covered by today's free quota instead
    balance: int

    @property
    def shortfall(self) -> int:
        return 0 if self.free else max(0, self.price - self.balance)


async def quote(turn: Turn, model: Model) -> Quote:
    """The confirmation's text and its buttons both need this: read the balance and quota once per update."""
    inputs = turn.data.get("inputs") or {}
    key = ("quote", model.id, repr(sorted(inputs.items())))
    if key not in turn.memo:
        catalog = catalog_of(turn)
        await ensure_welcome_bonus(turn)
        free = catalog.is_free(model.id) and await free_left(turn) > 0
        turn.memo[key] = Quote(model.price(inputs), free, await Ledger(turn.services["db"]).balance(turn.user.id))
    result: Quote = turn.memo[key]
    return result


CONFIRM_TEXTS = (
    "confirm.input",
    "confirm.free",
    "confirm.short",
    "confirm.paid",
    "value.free",
    "value.yes",
    "value.no",
    "value.image",
    "value.images",
)


@registry.screen_data(provides=("model", "inputs", "price", "balance", "after", "note"), texts=CONFIRM_TEXTS)
async def confirm_view(turn: Turn) -> dict[str, Any]:
    model = model_of(turn)
    if model is None:
        return dict.fromkeys(("model", "inputs", "price", "balance", "after", "note"), "—")
    q = await quote(turn, model)
    sent = model.with_defaults(turn.data.get("inputs") or {})
    lines = [
        Fragment.of("confirm.input", title=f.title, value=shown_value(turn, f, sent[f.name]))
        for f in model.fields
        if f.name in sent and f.asked
    ]
    if q.free:
        note = Fragment.of("confirm.free", left=await free_left(turn), per_day=catalog_of(turn).free_per_day)
    elif q.shortfall:
        note = Fragment.of("confirm.short", shortfall=rubles(q.shortfall))
    else:
        note = Fragment.of("confirm.paid")
    cost = 0 if q.free else q.price
    return {
        "model": model.title,
        "inputs": lines,
        "price": Fragment.of("value.free") if q.free else rubles(q.price),
        "balance": rubles(q.balance),
        "after": "—" if q.shortfall else rubles(q.balance - cost),
        "note": note,
    }


@registry.buttons(triggers=("launch", "topup"), texts=("btn.launch", "btn.topup"))
async def confirm_buttons(turn: Turn) -> list[list[Key]]:
    model = model_of(turn)
    if model is None:
        return []
    q = await quote(turn, model)
    if q.shortfall:
        return [[Key("btn.topup", "topup")]]
    return [[Key("btn.launch", "launch")]]


@registry.buttons(triggers=("edit_field",), texts=("btn.edit_field",))
async def edit_buttons(turn: Turn) -> list[list[Key]]:
    model = model_of(turn)
    if model is None:
        return []
    return [
        [Key("btn.edit_field", "edit_field", f.name, {"title": f.title})]
        for f in asked_fields(model, True) + asked_fields(model, False)
    ]


@registry.guard
async def field_editable(turn: Turn) -> bool:
    model = model_of(turn)
    return model is not None and any(f.name == turn.payload and f.asked for f in model.fields)


@registry.action()
async def start_edit(turn: Turn) -> None:
    turn.data.update(plan=[turn.payload], step=0, stage="edit")


# -- the atomic launch -----------------------------------------------------------------------------


@registry.action(notices=("studio.locked", "studio.short", "studio.unavailable"))
async def launch_job(turn: Turn) -> None:
    turn.data["next"] = "confirm"
    model = model_of(turn)
    if model is None:
        turn.notify("studio.unavailable")
        return
    await ensure_welcome_bonus(turn)
    inputs = model.with_defaults(turn.data.get("inputs") or {})
    chat_id = turn.message.chat.id if turn.message is not None else turn.user.id
    result = await launch(turn.services["db"], catalog_of(turn), turn.user.id, model, inputs, chat_id)
    if result.outcome == "locked":
        turn.answer("studio.locked", alert=True)
        return
    if result.outcome == "short":
        turn.notify("studio.short", shortfall=rubles(result.shortfall))
        return
    assert result.job_id is not None
    turn.data["job"] = {"id": result.job_id, "price": result.price, "free": result.free}
    turn.data.pop("return_to_order", None)
    turn.data["next"] = "started"
    runner = turn.services.get("generator")  # absent only when the bot runs without its start-up (tests)
    if runner is not None:
        await runner.submit(result.job_id)


@registry.guard
async def job_launched(turn: Turn) -> bool:
    return turn.data.get("next") == "started"


@registry.screen_data(provides=("job", "model", "charged"), texts=("started.paid", "started.free"))
async def started_view(turn: Turn) -> dict[str, Any]:
    job = turn.data.get("job") or {}
    model = model_of(turn)
    if job.get("free"):
        charged = Fragment.of("started.free", left=await free_left(turn), per_day=catalog_of(turn).free_per_day)
    else:
        balance = await Ledger(turn.services["db"]).balance(turn.user.id)
        charged = Fragment.of("started.paid", price=rubles(job.get("price", 0)), balance=rubles(balance))
    return {"job": job.get("id", "—"), "model": model.title if model else "—", "charged": charged}


@registry.action()
async def release_job_lock(turn: Turn) -> None:
    """/start: the user gives up waiting; the job already paid for still runs and is delivered."""
    await JobLocks(turn.services["db"]).release(turn.user.id)


# -- the balance screen -------------------------------------------------------------------------------------

REASONS = {
    reason: f"ledger.{reason}" for reason in ("welcome", "job", "refund", "topup", "grant", "deduct", "topup_refund")
}
BALANCE_TEXTS = ("balance.entry", "balance.no_entries", "ledger.other", *REASONS.values())


@registry.screen_data(provides=("balance", "free_left", "per_day", "entries"), texts=BALANCE_TEXTS)
async def balance_view(turn: Turn) -> dict[str, Any]:
    await ensure_welcome_bonus(turn)
    ledger = Ledger(turn.services["db"])
    entries = await ledger.entries(turn.user.id, limit=5)
    lines: list[Fragment] = [
        Fragment.of(
            "balance.entry",
            amount=("+" if e.amount > 0 else "") + rubles(e.amount),
            reason=Fragment.of(REASONS.get(e.reason, "ledger.other"), reference=e.reference),
            date=moscow_time(e.created_at, "%d.%m %H:%M"),
        )
        for e in entries
    ]
    return {
        "balance": rubles(await ledger.balance(turn.user.id)),
        "free_left": await free_left(turn),
        "per_day": catalog_of(turn).free_per_day,
        "entries": lines or [Fragment.of("balance.no_entries")],
    }
