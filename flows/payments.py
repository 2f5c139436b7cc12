"""Tariffs: a Telegram Stars invoice per tariff, the pre-checkout answer, and the credit — once per charge.

The invoice payload carries what was offered (tariff, stars, kopecks) and to whom; the pre-checkout
refuses a payload whose tariff changed since, or that belongs to someone else; `successful_payment`
credits exactly the offered kopecks, keyed on `telegram_payment_charge_id` in one transaction with the
payment's row. A top-up started from a confirmation that lacked money returns to that confirmation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import LabeledPrice, PreCheckoutQuery

from engine.registry import Key
from engine.texts import Fragment
from engine.turn import Turn
from flows import registry
from flows.catalog import Catalog, Tariff
from flows.journey import catalog_of, ensure_welcome_bonus
from flows.money import rubles
from storage import Ledger, Payments

log = logging.getLogger("flows.payments")

CURRENCY = "XTR"  # Telegram Stars; digital goods take no provider token
PAYLOAD_PREFIX = "topup"


@dataclass(frozen=True)
class Offer:
    tariff_id: str
    stars: int
    kopecks: int
    user_id: int

    def payload(self) -> str:
        return f"{PAYLOAD_PREFIX}:{self.tariff_id}:{self.stars}:{self.kopecks}:{self.user_id}"

    @classmethod
    def parse(cls, payload: str) -> Offer | None:
        parts = payload.split(":")
        if len(parts) != 5 or parts[0] != PAYLOAD_PREFIX or not all(p.isdigit() for p in parts[2:]):
            return None
        return cls(parts[1], int(parts[2]), int(parts[3]), int(parts[4]))

    @classmethod
    def of(cls, tariff: Tariff, user_id: int) -> Offer:
        return cls(tariff.id, tariff.stars, tariff.credit, user_id)


# -- the screen ------------------------------------------------------------------------------------


@registry.screen_data(provides=("balance", "tariffs"), texts=("tariffs.line",))
async def tariffs_view(turn: Turn) -> dict[str, Any]:
    await ensure_welcome_bonus(turn)
    lines = [
        Fragment.of(
            "tariffs.line",
            title=t.title,
            stars=t.stars,
            rubles=rubles(t.kopecks),
            bonus=rubles(t.bonus) if t.bonus else "—",
        )
        for t in catalog_of(turn).tariffs.values()
    ]
    return {"balance": rubles(await Ledger(turn.services["db"]).balance(turn.user.id)), "tariffs": lines}


@registry.buttons(triggers=("buy", "back_to_order"), texts=("btn.tariff", "btn.back_to_order"))
async def tariff_buttons(turn: Turn) -> list[list[Key]]:
    rows = [
        [Key("btn.tariff", "buy", t.id, {"title": t.title, "stars": t.stars, "rubles": rubles(t.credit)})]
        for t in catalog_of(turn).tariffs.values()
    ]
    if turn.data.get("return_to_order"):
        rows.append([Key("btn.back_to_order", "back_to_order")])
    return rows


@registry.action()
async def remember_order(turn: Turn) -> None:
    """💎 from a confirmation short of money: after paying, come back to it."""
    turn.data["return_to_order"] = True


@registry.guard
async def known_tariff(turn: Turn) -> bool:
    return turn.payload in catalog_of(turn).tariffs


@registry.action(notices=("tariffs.invoice_failed",))
async def send_invoice(turn: Turn) -> None:
    tariff = catalog_of(turn).tariffs[turn.payload or ""]
    texts = turn.services["texts"]
    values = {"title": tariff.title, "rubles": rubles(tariff.kopecks), "bonus": rubles(tariff.bonus)}
    assert turn.bot is not None
    chat_id = turn.message.chat.id if turn.message is not None else turn.user.id
    description = "invoice.description" if tariff.bonus else "invoice.description_plain"
    try:
        await turn.bot.send_invoice(
            chat_id=chat_id,
            title=texts.render("invoice.title", values, html_mode=False)[:32],
            description=texts.render(description, values, html_mode=False)[:255],
            payload=Offer.of(tariff, turn.user.id).payload(),
            currency=CURRENCY,
            prices=[LabeledPrice(label=texts.render("invoice.label", values, html_mode=False), amount=tariff.stars)],
            provider_token="",
        )
    except TelegramAPIError as err:
        log.warning("invoice for user %d not sent: %s", turn.user.id, err)
        turn.notify("tariffs.invoice_failed")


registry.needs_texts("invoice.title", "invoice.description", "invoice.description_plain", "invoice.label")


# -- pre-checkout and the payment ------------------------------------------------------------------


def refusal_for(catalog: Catalog, payload: str, user_id: int, currency: str, total: int) -> str | None:
    """None when the payment may go ahead; else the text key of the reason."""
    offer = Offer.parse(payload)
    if offer is None or currency != CURRENCY:
        return "payment.refused_unknown"
    if offer.user_id != user_id:
        return "payment.refused_not_yours"
    tariff = catalog.tariffs.get(offer.tariff_id)
    if tariff is None or Offer.of(tariff, user_id) != offer or total != tariff.stars:
        return "payment.refused_changed"
    return None


@registry.payment_check
async def check_payment(query: PreCheckoutQuery, services: dict[str, Any]) -> str | None:
    refusal = refusal_for(
        services["catalog"], query.invoice_payload, query.from_user.id, query.currency, query.total_amount
    )
    log.info("pre-checkout %s from user %d: %s", query.id, query.from_user.id, refusal or "accepted")
    return refusal


registry.needs_texts("payment.refused_unknown", "payment.refused_not_yours", "payment.refused_changed")


@registry.action(notices=("payment.thanks", "payment.thanks_bonus", "payment.already", "payment.unknown"))
async def take_payment(turn: Turn) -> None:
    """Credit the payment once; a repeat of the same charge only says it is already on the balance."""
    payment = turn.message.successful_payment if turn.message is not None else None
    turn.data["paid"] = False
    if payment is None:
        return
    offer = Offer.parse(payment.invoice_payload)
    if offer is None or offer.user_id != turn.user.id:
        log.error("payment %s with a foreign payload %r", payment.telegram_payment_charge_id, payment.invoice_payload)
        turn.notify("payment.unknown", charge=payment.telegram_payment_charge_id)
        return
    db = turn.services["db"]
    charge = payment.telegram_payment_charge_id
    async with db.transaction() as tx:
        new = await Payments.record(tx, charge, turn.user.id, offer.tariff_id, payment.total_amount, offer.kopecks)
        if new:
            await Ledger.post(tx, turn.user.id, offer.kopecks, "topup", charge)
    balance = rubles(await Ledger(db).balance(turn.user.id))
    tariff = catalog_of(turn).tariffs.get(offer.tariff_id)
    if not new:
        turn.notify("payment.already", balance=balance)
    elif tariff is not None and tariff.bonus:
        turn.notify("payment.thanks_bonus", amount=rubles(offer.kopecks), bonus=rubles(tariff.bonus), balance=balance)
    else:
        turn.notify("payment.thanks", amount=rubles(offer.kopecks), balance=balance)
    turn.data["paid"] = new
    log.info("payment %s: %s kopecks for user %d (%s)", charge, offer.kopecks, turn.user.id, "new" if new else "repeat")


@registry.guard
async def returning_to_order(turn: Turn) -> bool:
    return bool(turn.data.get("return_to_order")) and turn.data.get("model") is not None


@registry.action()
async def forget_return(turn: Turn) -> None:
    turn.data.pop("return_to_order", None)
