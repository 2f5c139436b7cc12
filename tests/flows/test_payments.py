"""💎 Тарифы with Telegram Stars: invoice → pre-checkout → successful payment, once per charge."""

from __future__ import annotations

from aiogram.methods import AnswerPreCheckoutQuery, SendInvoice

from engine.bundle import Bundle
from flows.catalog import Tariff
from tests.conftest import Harness
from tests.flows.helpers import User, balance, jobs, ledger_sum


async def _invoice(user: User, tariff: str = "Старт") -> SendInvoice:
    await user.start()
    await user.press("💎 Тарифы")
    assert "На счёте: <b>50 ₽</b>" in user.text and "Старт</b>: 100 ⭐ → 150 ₽" in user.text
    await user.press(tariff)
    [invoice] = [c for c in user.calls if isinstance(c, SendInvoice)]
    return invoice


async def _pay(user: User, invoice: SendInvoice, charge: str) -> bool:
    """Telegram's side: the pre-checkout query (answered by the bot), then the payment message."""
    total = invoice.prices[0].amount
    await user.chatter.feed(user.chatter.pre_checkout_update(invoice.payload, total))
    [answer] = [c for c in user.harness.take() if isinstance(c, AnswerPreCheckoutQuery)]
    if not answer.ok:
        user.calls = [answer]
        return False
    await user.chatter.feed(user.chatter.payment_update(invoice.payload, total, charge))
    user.calls = user.harness.take()
    return True


async def test_a_purchase_credits_the_balance_once(harness: Harness) -> None:
    user = User(harness)
    invoice = await _invoice(user, "Креатор")
    assert (invoice.currency, invoice.provider_token, len(invoice.prices)) == ("XTR", "", 1)
    assert invoice.prices[0].amount == 300 and invoice.payload == "topup:creator:300:50000:7"
    assert await _pay(user, invoice, "charge-1")
    assert user.notices == [
        "💎 Спасибо! Баланс пополнен на <b>500 ₽</b> (из них бонус 50 ₽). Теперь на счёте: <b>550 ₽</b>."
    ]
    assert "<b>💳 Баланс</b>" in user.text
    assert await balance(harness) == 55_000 == await ledger_sum(harness)
    # The same payment again (a redelivered message with a new update id): no second credit.
    await user.chatter.feed(user.chatter.payment_update(invoice.payload, 300, "charge-1"))
    assert await balance(harness) == 55_000
    row = await harness.db.fetch_one("SELECT COUNT(*) FROM payments")
    assert row is not None and row[0] == 1


async def test_a_pre_checkout_for_a_changed_or_foreign_invoice_is_refused(harness: Harness, bundle: Bundle) -> None:
    user = User(harness)
    invoice = await _invoice(user)
    catalog = bundle.data["catalog"]
    old = catalog.tariffs["start"]
    catalog.tariffs["start"] = Tariff("start", old.title, 120, old.kopecks, old.bonus)  # the price went up
    try:
        assert not await _pay(user, invoice, "charge-2")
        assert user.calls[0].error_message == "Тариф изменился. Откройте 💎 Тарифы — там актуальные цены."
    finally:
        catalog.tariffs["start"] = old
    stranger = User(harness, user_id=99)
    await stranger.start()
    assert not await _pay(stranger, invoice, "charge-3")
    assert stranger.calls[0].error_message.startswith("Этот счёт выставлен другому пользователю")
    assert await balance(harness) == 5000 and await balance(harness, 99) == 0


async def test_short_of_money_then_pay_then_back_at_the_confirmation(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("🎬 Видео", "kling-2.6/text-to-video")
    await user.press("🚀 Генерировать")
    await user.send("Кофейня утром")
    await user.press("✓ 9:16 вертикальный")
    await user.press("✓ 5 секунд")
    await user.press("Да")
    assert "Не хватает 38 ₽" in user.text  # 88 ₽ against the 50 ₽ welcome bonus
    await user.press("💎 Пополнить баланс")
    assert "◀️ Вернуться к заказу" in user.flat_buttons
    await user.press("Старт")
    [invoice] = [c for c in user.calls if isinstance(c, SendInvoice)]
    assert await _pay(user, invoice, "charge-4")
    assert "Проверьте заказ" in user.text and "✅ Запустить" in user.flat_buttons
    await user.press("✅ Запустить")
    assert "принята" in user.text
    [job] = await jobs(harness)
    assert job["price"] == 8800 and await balance(harness) == 5000 + 15000 - 8800 == await ledger_sum(harness)


async def test_paysupport_explains_how_to_get_help(harness: Harness) -> None:
    user = User(harness)
    await user.start()
    await user.send("/paysupport")
    assert "Помощь с оплатой" in user.text and "🆘 Поддержка" in user.flat_buttons
