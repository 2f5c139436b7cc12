"""The admin panel: commands that exist only for ADMIN_IDS (to anyone else they are unknown commands).

/admin                      the numbers: users, jobs today by state, revenue, top models, active locks
/user <id|@username>        a user's balance, last jobs and payments
/grant <id> <rubles> <why>  /deduct <id> <rubles> <why>   a ledger entry with the admin's id
/model_off <id>  /model_on <id>   switch a model off or on, without a restart (kept in SQLite)
/refund <charge id>         give Telegram Stars back and reverse the top-up, once
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from aiogram.exceptions import TelegramAPIError

from engine.source import Problem
from engine.spec import Product
from engine.texts import Fragment
from engine.turn import Turn
from flows import registry
from flows.journey import MOSCOW_OFFSET_S, catalog_of
from flows.money import rubles
from storage import InsufficientFundsError, JobLocks, Ledger, ModelSwitches, Payments
from storage.database import now

log = logging.getLogger("flows.admin")


@registry.loader("admins")
def read_admins(root: Path, product: Product) -> tuple[set[int], list[Problem]]:
    raw = os.environ.get("ADMIN_IDS", "")
    ids = {int(part) for part in raw.replace(",", " ").split() if part.strip().lstrip("-").isdigit()}
    return ids, []


@registry.guard
async def is_admin(turn: Turn) -> bool:
    return turn.user.id in turn.services.get("admins", set())


def _args(turn: Turn) -> list[str]:
    return (turn.text or "").split()[1:]


def _midnight() -> int:
    """Today's start, Moscow time, as Unix seconds."""
    stamp = now()
    return stamp - (stamp + MOSCOW_OFFSET_S) % 86400


@registry.screen_data(
    provides=("users", "new_users", "jobs", "stars_today", "rub_today", "stars_total", "rub_total", "top", "locks"),
    texts=("admin.line",),
)
async def admin_view(turn: Turn) -> dict[str, Any]:
    db = turn.services["db"]
    midnight = _midnight()
    users = await db.fetch_one("SELECT COUNT(*), COALESCE(SUM(first_seen >= ?), 0) FROM users", (midnight,))
    states = await db.fetch_all("SELECT state, COUNT(*) FROM jobs WHERE created_at >= ? GROUP BY state", (midnight,))
    top = await db.fetch_all(
        "SELECT model_id, COUNT(*) AS n FROM jobs GROUP BY model_id ORDER BY n DESC, model_id LIMIT 5"
    )
    today, total = await Payments(db).revenue(midnight), await Payments(db).revenue()
    return {
        "users": users[0] if users else 0,
        "new_users": users[1] if users else 0,
        "jobs": ", ".join(f"{state} {count}" for state, count in states) or "—",
        "stars_today": today[0],
        "rub_today": rubles(today[1]),
        "stars_total": total[0],
        "rub_total": rubles(total[1]),
        "top": [Fragment.of("admin.line", text=f"{model} — {count}") for model, count in top] or "—",
        "locks": await JobLocks(db).count(),
    }


@registry.action(notices=("admin.usage_user", "admin.no_user", "admin.user"))
async def admin_find_user(turn: Turn) -> None:
    args = _args(turn)
    if not args:
        turn.notify("admin.usage_user")
        return
    db = turn.services["db"]
    query = args[0].lstrip("@")
    row = await db.fetch_one(
        "SELECT telegram_id, first_name, username FROM users WHERE telegram_id = ? OR lower(username) = lower(?)",
        (int(query) if query.isdigit() else -1, query),
    )
    if row is None:
        turn.notify("admin.no_user", query=args[0])
        return
    user_id = int(row[0])
    jobs = await db.fetch_all(
        "SELECT id, model_id, state, price FROM jobs WHERE user_id = ? ORDER BY id DESC LIMIT 5", (user_id,)
    )
    payments = await Payments(db).for_user(user_id)
    turn.notify(
        "admin.user",
        id=user_id,
        name=row[1],
        username=row[2] or "—",
        balance=rubles(await Ledger(db).balance(user_id)),
        jobs="; ".join(f"№{j[0]} {j[1]} {j[2]} {rubles(j[3])}" for j in jobs) or "—",
        payments="; ".join(
            f"{p.charge_id} {p.stars}⭐ {rubles(p.kopecks)}{' ↩' if p.refunded_at else ''}" for p in payments
        )
        or "—",
    )


async def _change_balance(turn: Turn, sign: int) -> None:
    args = _args(turn)
    amount = _kopecks(args[1]) if len(args) >= 3 and args[0].isdigit() else None
    if amount is None:
        turn.notify("admin.usage_grant" if sign > 0 else "admin.usage_deduct")
        return
    user_id, reason = int(args[0]), " ".join(args[2:])[:200]
    reference = f"{turn.user.id}:{turn.message.message_id if turn.message else time.time_ns()}:{reason}"
    try:
        await Ledger(turn.services["db"]).post_once(
            user_id, sign * amount, "grant" if sign > 0 else "deduct", reference, actor=turn.user.id
        )
    except InsufficientFundsError as err:
        turn.notify("admin.cannot_deduct", balance=rubles(err.balance))
        return
    balance = rubles(await Ledger(turn.services["db"]).balance(user_id))
    turn.notify("admin.balance_changed", id=user_id, amount=rubles(sign * amount), balance=balance)
    log.info("admin %d changed the balance of %d by %d (%s)", turn.user.id, user_id, sign * amount, reason)


def _kopecks(text: str) -> int | None:
    whole, _, part = text.replace(",", ".").partition(".")
    if not whole.isdigit() or (part and (not part.isdigit() or len(part) > 2)):
        return None
    amount = int(whole) * 100 + int(part.ljust(2, "0") or 0)
    return amount if amount > 0 else None


BALANCE_NOTICES = ("admin.usage_grant", "admin.usage_deduct", "admin.balance_changed", "admin.cannot_deduct")


@registry.action(notices=BALANCE_NOTICES)
async def admin_grant(turn: Turn) -> None:
    await _change_balance(turn, +1)


@registry.action(notices=BALANCE_NOTICES)
async def admin_deduct(turn: Turn) -> None:
    await _change_balance(turn, -1)


async def _switch(turn: Turn, off: bool) -> None:
    args = _args(turn)
    catalog = catalog_of(turn)
    if not args or args[0] not in catalog.models:
        turn.notify("admin.usage_model")
        return
    await ModelSwitches(turn.services["db"]).switch(args[0], off, turn.user.id)
    (catalog.disabled.add if off else catalog.disabled.discard)(args[0])
    turn.notify("admin.model_off" if off else "admin.model_on", model=args[0])


@registry.action(notices=("admin.usage_model", "admin.model_off"))
async def admin_model_off(turn: Turn) -> None:
    await _switch(turn, True)


@registry.action(notices=("admin.usage_model", "admin.model_on"))
async def admin_model_on(turn: Turn) -> None:
    await _switch(turn, False)


@registry.on_startup
async def load_switches(bot: Any, services: dict[str, Any]) -> None:
    services["catalog"].disabled |= await ModelSwitches(services["db"]).disabled()


@registry.action(
    notices=(
        "admin.usage_refund",
        "admin.no_payment",
        "admin.already_refunded",
        "admin.refunded",
        "admin.refund_spent",
        "admin.refund_failed",
    )
)
async def admin_refund(turn: Turn) -> None:
    """Reverse the top-up first (it must fit the balance), then ask Telegram; undo the reversal if it says no."""
    args = _args(turn)
    if not args:
        turn.notify("admin.usage_refund")
        return
    db, charge = turn.services["db"], args[0]
    payment = await Payments(db).get(charge)
    if payment is None:
        turn.notify("admin.no_payment", charge=charge)
        return
    try:
        async with db.transaction() as tx:
            if not await Payments.mark_refunded(tx, charge, turn.user.id):
                turn.notify("admin.already_refunded", charge=charge)
                return
            await Ledger.post(tx, payment.user_id, -payment.kopecks, "topup_refund", charge, turn.user.id)
    except InsufficientFundsError as err:
        turn.notify("admin.refund_spent", balance=rubles(err.balance), amount=rubles(payment.kopecks))
        return
    assert turn.bot is not None
    try:
        await turn.bot.refund_star_payment(user_id=payment.user_id, telegram_payment_charge_id=charge)
    except TelegramAPIError as err:
        async with db.transaction() as tx:
            await Payments.unmark_refunded(tx, charge)
            await Ledger.post(tx, payment.user_id, payment.kopecks, "topup_refund_undo", f"{charge}:{time.time_ns()}")
        turn.notify("admin.refund_failed", error=str(err)[:200])
        return
    turn.notify("admin.refunded", charge=charge, stars=payment.stars, amount=rubles(payment.kopecks))
    log.info("admin %d refunded charge %s (%d stars)", turn.user.id, charge, payment.stars)
