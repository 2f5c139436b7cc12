"""🆘 Поддержка: a message is stored and numbered; a too-long one is explained and the step kept."""

from aiogram.methods import SendMessage

from storage.support import SupportRequests
from tests.conftest import Harness, labels, screen, texts_of


async def test_a_support_message_is_stored_and_numbered(harness: Harness) -> None:
    chatter = harness.user()
    await chatter.send("/start")
    await chatter.press("flow:support", message_id=1000)
    ask = screen(harness.take())
    assert "До 2000 символов." in ask.text
    assert labels(ask.reply_markup) == [["🏠 В меню"]]

    await chatter.send("Не приходит результат генерации <видео>")
    thanks = screen(harness.take())
    assert isinstance(thanks, SendMessage)
    assert thanks.text.startswith("✅ Спасибо! Обращение №1 передано в поддержку.")
    assert labels(thanks.reply_markup) == [["✉️ Написать ещё"], ["🏠 В меню"]]
    assert await SupportRequests(harness.db).for_user(7) == ["Не приходит результат генерации <видео>"]


async def test_a_too_long_message_is_explained_and_nothing_is_stored(harness: Harness) -> None:
    chatter = harness.user()
    await chatter.send("/start")
    await chatter.press("flow:support", message_id=1000)
    harness.take()
    await chatter.send("а" * 2500)
    calls = harness.take()
    assert texts_of(calls)[0].startswith("✂️ Сообщение длиной 2500 символов, а поддержка принимает до 2000.")
    assert "Напишите вопрос одним сообщением" in screen(calls).text
    assert await SupportRequests(harness.db).for_user(7) == []
    await chatter.send("Короткий вопрос")
    assert "Обращение №1" in screen(harness.take()).text


async def test_a_photo_in_support_asks_for_text_and_keeps_the_step(harness: Harness) -> None:
    chatter = harness.user()
    await chatter.send("/start")
    await chatter.press("flow:support", message_id=1000)
    harness.take()
    await chatter.send_photo()
    calls = harness.take()
    assert texts_of(calls)[0].startswith("🤔")
    assert "Напишите вопрос одним сообщением" in screen(calls).text
    await chatter.send("Теперь текстом")
    assert "Обращение №1" in screen(harness.take()).text
