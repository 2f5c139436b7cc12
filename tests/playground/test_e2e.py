"""End to end over real HTTP: the bot polls the playground (a local Bot API) through aiogram's own session,
a scripted user talks to it through the playground, the fake Kie.ai generates. Nothing in between is faked.
"""

from __future__ import annotations

import re

import aiohttp
from aiohttp.test_utils import TestServer

from engine.app import build_dispatcher
from engine.bundle import Bundle
from engine.config import load_settings
from engine.serve import make_bot, webhook_app
from playground.server import Playground
from providers import media
from storage import Database
from tests.playground.conftest import Live, _serve


async def test_a_user_goes_from_start_to_a_delivered_result_and_sees_it_in_projects(live: Live) -> None:
    await live.playground.send_text(live.user, "/start")
    menu = await live.reply_with("добро пожаловать в AI Studio")
    await live.press(menu, "🧰 Инструменты")
    tools = await live.reply_with("<b>🧰 Инструменты</b>")
    await live.press(tools, "Чёткий апскейл")
    card = await live.reply_with("<b>Чёткий апскейл</b>")
    await live.press(card, "🚀 Генерировать")
    await live.reply_with("Шаг 1 из 1")
    await live.playground.send_photo(live.user, media.png(64, 64))
    confirm = await live.reply_with("Проверьте заказ")
    await live.press(confirm, "✅ Запустить")
    await live.reply_with("принята")
    result = await live.until(
        lambda: next((m for m in live.chat() if "photo" in m and m["from"]["is_bot"]), None), "the result photo"
    )
    assert result["caption"].startswith("✅ <b>Чёткий апскейл</b>")
    photo = live.playground.files[result["photo"][-1]["file_id"]]
    assert photo.content.startswith(b"\x89PNG")  # the fake Kie's demo PNG, through the bot, into the chat
    uploaded = [call for call in live.playground.calls if call == "getFile"]
    assert uploaded, "the bot downloaded the user's photo through the Bot API"
    await live.press(result, "🔁 Повторить")
    again = await live.reply_with("Проверьте заказ")
    await live.press(again, "❌ Отмена")
    seen = len(live.chat())
    await live.playground.send_text(live.user, "/start")
    menu = await live.until(
        lambda: next((m for m in live.chat()[seen:] if "добро пожаловать" in (m.get("text") or "")), None),
        "a new menu",
    )
    await live.press(menu, "💼 Мои проекты")
    projects = await live.reply_with("Всего генераций: 1")
    labels = [b["text"] for row in projects["reply_markup"]["inline_keyboard"] for b in row]
    assert any(label.startswith("Чёткий апскейл ·") and "✅ готово" in label for label in labels), labels


async def test_a_stars_top_up_through_the_pay_button(live: Live) -> None:
    await live.playground.send_text(live.user, "/start")
    menu = await live.reply_with("добро пожаловать")
    await live.press(menu, "💎 Тарифы")
    tariffs = await live.reply_with("<b>💎 Тарифы</b>")
    await live.press(tariffs, "Старт")
    invoice = await live.until(lambda: next((m for m in live.chat() if "invoice" in m), None), "the invoice")
    assert invoice["invoice"]["total_amount"] == 100
    paid = await live.playground.pay(live.user, live.user["id"], invoice["message_id"])
    assert paid["paid"], paid
    thanks = await live.reply_with("Баланс пополнен на")
    assert "Теперь на счёте: <b>200 ₽</b>" in thanks["text"]


async def test_flood_control_is_waited_out_and_not_modified_is_harmless(live: Live) -> None:
    await live.playground.send_text(live.user, "/start")
    menu = await live.reply_with("добро пожаловать")
    live.playground.throttle_next = [1]  # the bot's next call gets 429, retry after 1 s
    await live.press(menu, "💼 Мои проекты")
    projects = await live.reply_with("Всего генераций: 0")
    assert live.playground.throttle_next == [] and live.playground.calls.count("answerCallbackQuery") == 2
    shown, edits = len(live.chat()), live.playground.calls.count("editMessageText")
    # The same button pressed again: the bot edits the message to what it already shows, Telegram answers
    # "message is not modified", and the bot takes that as done — no error, no new message.
    await live.playground.press(live.user, live.user["id"], projects["message_id"], "open_projects")
    await live.until(lambda: live.playground.calls.count("editMessageText") > edits, "the repeated edit")
    await live.until(
        lambda: all(q["answer"] is not None for q in live.playground.callbacks.values()), "every button answered"
    )
    assert len(live.chat()) == shown


async def test_webhook_mode_delivers_with_the_secret_and_refuses_without(bundle: Bundle, db: Database) -> None:
    playground = Playground()
    runner, url = await _serve(playground)
    settings = load_settings(
        {
            "BOT_TOKEN": playground.token,
            "TELEGRAM_API_URL": url,
            "WEBHOOK_URL": "http://127.0.0.1/hook",
            "WEBHOOK_SECRET": "playground-secret",
        }
    )
    bot = make_bot(settings)
    dispatcher = build_dispatcher(bundle, db)
    app = webhook_app(dispatcher, bot, settings, bundle.registry)
    app.on_startup.clear()  # no generation needed here
    app.on_shutdown.clear()
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        await bot.set_webhook(str(server.make_url("/hook")), secret_token="playground-secret")
        user = playground.user(502, "Боб")
        live = Live(playground, url, user)
        await playground.send_text(user, "/start")
        await live.reply_with("добро пожаловать")
        async with (
            aiohttp.ClientSession() as session,
            session.post(server.make_url("/hook"), json={"update_id": 999}) as refused,
        ):
            assert refused.status == 401
    finally:
        await server.close()
        await bot.session.close()
        await runner()


def test_the_page_is_plain_js_with_an_allowlist_of_telegram_tags() -> None:
    from playground.server import PAGE

    page = PAGE.read_text(encoding="utf-8")
    assert "<script>" in page and "import " not in page  # plain JS, served as is
    assert re.search(r"ALLOWED = new Set\(\[.*\"B\"", page)  # only Telegram's tags are rendered
