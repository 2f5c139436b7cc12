"""The admin panel: only for ADMIN_IDS; every change leaves a ledger entry with the admin's id."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiogram.methods import RefundStarPayment, SendInvoice

from engine.bundle import Bundle
from tests.conftest import Harness
from tests.flows.helpers import User, balance, ledger_sum
from tests.flows.test_payments import _invoice, _pay

ADMIN = 500


@pytest.fixture
def admins(bundle: Bundle) -> Iterator[set[int]]:
    ids = bundle.data["admins"]
    ids.add(ADMIN)
    yield ids
    ids.discard(ADMIN)


@pytest.mark.parametrize("command", ["/admin", "/grant 7 100 подарок", "/model_off z-image", "/refund x"])
async def test_admin_commands_do_not_exist_for_others(harness: Harness, admins: set[int], command: str) -> None:
    user = User(harness)
    await user.start()
    await user.send(command)
    name = command.split()[0][1:]
    assert user.notices == [f"Команды /{name} нет. Все команды — в /help, а меню — ниже 👇"]
    assert await balance(harness) == 0 and await user.state() == "main"


async def test_the_panel_shows_the_numbers(harness: Harness, admins: set[int]) -> None:
    customer = User(harness)
    await _pay(customer, await _invoice(customer), "charge-a")
    admin = User(harness, user_id=ADMIN)
    await admin.start()
    await admin.send("/admin")
    assert "Панель администратора" in admin.text and "Пользователи: 2" in admin.text
    assert "Выручка сегодня: 100 ⭐ / 150 ₽" in admin.text


async def test_grant_and_deduct_are_ledger_entries_with_the_admins_id(harness: Harness, admins: set[int]) -> None:
    customer = User(harness)
    await customer.start()
    admin = User(harness, user_id=ADMIN)
    await admin.start()
    await admin.send("/grant 7 250,50 компенсация за сбой")
    assert admin.notices == ["Готово: пользователю 7 250,50 ₽. Теперь на счёте: 250,50 ₽."]
    await admin.send("/deduct 7 1000 ошибка")
    assert admin.notices == ["Нельзя списать больше, чем на счёте (250,50 ₽)."]
    await admin.send("/deduct 7 50 ошибка")
    rows = await harness.db.fetch_all("SELECT reason, amount, actor FROM ledger WHERE user_id = 7 ORDER BY id")
    assert [tuple(r) for r in rows] == [("grant", 25050, ADMIN), ("deduct", -5000, ADMIN)]
    assert await balance(harness) == 20050 == await ledger_sum(harness)
    await admin.send("/grant 7 сто")
    assert admin.notices == ["Как начислить: /grant 123456 500 причина"]
    await admin.send("/user @anna")
    assert admin.notices[0].startswith("<b>Пользователь 7</b> · Анна · @anna\nБаланс: 200,50 ₽")


async def test_a_switched_off_model_leaves_the_menus_and_search(
    harness: Harness, admins: set[int], bundle: Bundle
) -> None:
    admin = User(harness, user_id=ADMIN)
    await admin.start()
    try:
        await admin.send("/model_off google/veo-3.1")
        assert admin.notices[0].startswith("Модель google/veo-3.1 выключена")
        user = User(harness)
        await user.start()
        await user.press("🎬 Видео")
        assert not any(label.startswith("Veo 3.1") for label in user.flat_buttons)
        await user.start()
        await user.press("🔍 Поиск")
        await user.send("veo")
        assert user.notices[0].startswith("🤷 По запросу «veo» ничего не нашлось")
        row = await harness.db.fetch_one("SELECT disabled_by FROM disabled_models WHERE model_id = 'google/veo-3.1'")
        assert row is not None and row[0] == ADMIN
    finally:
        await admin.send("/model_on google/veo-3.1")
    assert "google/veo-3.1" not in bundle.data["catalog"].disabled


async def test_a_stars_refund_reverses_the_top_up_once(harness: Harness, admins: set[int]) -> None:
    customer = User(harness)
    invoice = await _invoice(customer)
    assert isinstance(invoice, SendInvoice)
    await _pay(customer, invoice, "charge-r")
    assert await balance(harness) == 20000
    admin = User(harness, user_id=ADMIN)
    await admin.start()
    await admin.send("/refund charge-r")
    assert admin.notices == ["Возвращено 100 ⭐ по платежу charge-r; с баланса списано 150 ₽."]
    [refund] = [c for c in admin.calls if isinstance(c, RefundStarPayment)]
    assert (refund.user_id, refund.telegram_payment_charge_id) == (7, "charge-r")
    assert await balance(harness) == 5000 == await ledger_sum(harness)
    await admin.send("/refund charge-r")
    assert admin.notices == ["Платёж charge-r уже возвращён — повторный возврат не делаем."]
    assert not [c for c in admin.calls if isinstance(c, RefundStarPayment)]


async def test_a_refund_telegram_refuses_restores_the_balance(harness: Harness, admins: set[int]) -> None:
    customer = User(harness)
    await _pay(customer, await _invoice(customer), "charge-t")
    harness.session.refuse[RefundStarPayment] = "CHARGE_ALREADY_REFUNDED"
    admin = User(harness, user_id=ADMIN)
    await admin.start()
    await admin.send("/refund charge-t")
    assert admin.notices[0].startswith("Telegram не принял возврат")
    assert await balance(harness) == 20000 == await ledger_sum(harness)
    row = await harness.db.fetch_one("SELECT refunded_at FROM payments WHERE charge_id = 'charge-t'")
    assert row is not None and row[0] is None
