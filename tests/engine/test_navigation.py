"""Every main-menu button leads to its own screen and back; buttons edit in place; /start from anywhere."""

import pytest
from aiogram.methods import EditMessageText, SendMessage

from tests.conftest import Harness, answers, button_data, labels, screen
from tests.engine.test_start import MAIN_MENU

SCREENS = {
    "🎬 Видео": "🎬 Видео",
    "🖼 Изображения": "🖼 Изображения",
    "✍️ Тексты": "✍️ Тексты",
    "🎧 Аудио": "🎧 Аудио",
    "🎼 Музыка": "🎼 Музыка",
    "🧰 Инструменты": "🧰 Инструменты",
    "🔥 Бесплатные": "🔥 Бесплатные",
    "⭐ Популярные": "⭐ Популярные",
    "💼 Мои проекты": "💼 Мои проекты",
    "💳 Баланс": "💳 Баланс",
    "💎 Тарифы": "💎 Тарифы",
    "🔍 Поиск": "🔍 Поиск",
    "🆘 Поддержка": "🆘 Поддержка",
}


@pytest.mark.parametrize("label", [label for row in MAIN_MENU for label in row])
async def test_each_main_menu_button_opens_its_screen_and_comes_back(harness: Harness, label: str) -> None:
    chatter = harness.user()
    await chatter.send("/start")
    menu = screen(harness.take())
    assert isinstance(menu, SendMessage)

    await chatter.press(button_data(menu.reply_markup, label), message_id=1000)
    calls = harness.take()
    opened = screen(calls)
    assert isinstance(opened, EditMessageText), "a button press edits the message in place"
    assert (opened.chat_id, opened.message_id) == (7, 1000)
    assert SCREENS[label] in opened.text.split("\n")[0]
    assert len(answers(calls)) == 1 and answers(calls)[0].text is None

    back = [b for row in labels(opened.reply_markup) for b in row if b in ("◀️ Назад", "🏠 В меню")]
    assert back, f"screen {label} has no way back: {labels(opened.reply_markup)}"
    await chatter.press(button_data(opened.reply_markup, back[0]), message_id=1000)
    returned = screen(harness.take())
    assert isinstance(returned, EditMessageText)
    assert returned.text.startswith("👋 Анна, добро пожаловать в AI Studio!")
    assert labels(returned.reply_markup) == MAIN_MENU


async def test_start_from_a_deep_state_returns_to_the_main_menu_and_clears_data(harness: Harness) -> None:
    chatter = harness.user()
    await chatter.send("/start")
    await chatter.press("flow:support", message_id=1000)
    await chatter.send("Как пополнить баланс?")
    assert "Обращение №1" in screen(harness.take()).text
    await chatter.press("flow:support", message_id=1002)  # the thanks screen's "✉️ Написать ещё"
    harness.take()

    await chatter.send("/start")
    sent = screen(harness.take())
    assert isinstance(sent, SendMessage)
    assert labels(sent.reply_markup) == MAIN_MENU
    row = await harness.db.fetch_one("SELECT state, data FROM fsm_records WHERE user_id = 7")
    assert row is not None and (row["state"], row["data"]) == ("main", "{}")


async def test_commands_menu_and_help_work_from_any_state(harness: Harness) -> None:
    chatter = harness.user()
    await chatter.send("/start")
    await chatter.press("go:balance", message_id=1000)
    harness.take()
    await chatter.send("/help")
    help_screen = screen(harness.take())
    assert isinstance(help_screen, SendMessage) and "/start — главное меню" in help_screen.text
    await chatter.send("/menu")
    assert labels(screen(harness.take()).reply_markup) == MAIN_MENU


async def test_message_is_not_modified_is_not_an_error(harness: Harness) -> None:
    # Telegram answers "message is not modified" when an edit changes nothing; the bot must shrug it off.
    chatter = harness.user()
    await chatter.send("/start")  # message 1000: the main menu
    await chatter.press("go:balance", message_id=1000)  # 1000 now shows the video screen
    await chatter.press("go:main", message_id=1001)  # back to the menu from another message
    harness.take()
    await chatter.press("go:balance", message_id=1000)  # 1000 already shows exactly this
    calls = harness.take()
    assert [type(c).__name__ for c in calls] == ["AnswerCallbackQuery", "EditMessageText"]
    row = await harness.db.fetch_one("SELECT state FROM fsm_records WHERE user_id = 7")
    assert row is not None and row["state"] == "balance"


async def test_an_old_message_that_cannot_be_edited_gets_a_new_message(harness: Harness) -> None:
    chatter = harness.user()
    await chatter.send("/start")
    harness.take()
    harness.session.refuse_edits = True
    await chatter.press("go:balance", message_id=1000)
    calls = harness.take()
    assert isinstance(calls[-1], SendMessage) and calls[-1].text.startswith("<b>💳 Баланс</b>")
