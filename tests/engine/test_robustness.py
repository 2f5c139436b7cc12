"""Bad input gets a short, clear answer and the current screen; nothing crashes, nothing is lost."""

from aiogram.methods import SendMessage

from tests.conftest import Harness, answers, labels, screen, texts_of
from tests.engine.test_start import MAIN_MENU

VIDEO_TITLE = "<b>💳 Баланс</b>"


async def _on_video_screen(harness: Harness):  # type: ignore[no-untyped-def]
    chatter = harness.user()
    await chatter.send("/start")
    await chatter.press("go:balance", message_id=1000)
    harness.take()
    return chatter


async def state_of(harness: Harness, user_id: int = 7) -> str:
    row = await harness.db.fetch_one("SELECT state FROM fsm_records WHERE user_id = ?", (user_id,))
    assert row is not None
    return str(row["state"])


async def test_a_stale_button_says_so_and_shows_the_current_screen(harness: Harness) -> None:
    chatter = await _on_video_screen(harness)
    await chatter.press("go:balance", message_id=900)  # a button of an old main-menu message
    calls = harness.take()
    assert [a.text for a in answers(calls)] == ["Эта кнопка устарела — показываю актуальный экран 👇"]
    current = screen(calls)
    assert isinstance(current, SendMessage) and current.text.startswith(VIDEO_TITLE)
    assert await state_of(harness) == "balance"


async def test_a_forged_callback_is_refused_without_harm(harness: Harness) -> None:
    chatter = await _on_video_screen(harness)
    for forged in ("go:admin", "DROP TABLE users", "", "message.text", "command.help", "go:main|" + "x" * 50):
        await chatter.press(forged, message_id=1000)
        calls = harness.take()
        expected = "Не узнаю эту кнопку"
        assert answers(calls)[0].text is not None and answers(calls)[0].text.startswith(expected), forged
        assert screen(calls).text.startswith(VIDEO_TITLE)
    assert await state_of(harness) == "balance"


async def test_text_where_a_button_is_expected(harness: Harness) -> None:
    chatter = await _on_video_screen(harness)
    await chatter.send("хочу видео с котиком")
    calls = harness.take()
    assert texts_of(calls)[0] == "🤔 Сейчас нужно другое — подсказка на экране ниже 👇"
    assert screen(calls).text.startswith(VIDEO_TITLE)
    assert await state_of(harness) == "balance"


async def test_a_photo_or_sticker_where_a_button_is_expected(harness: Harness) -> None:
    chatter = await _on_video_screen(harness)
    await chatter.send_photo()
    await chatter.send_sticker()
    calls = harness.take()
    assert texts_of(calls).count("🤔 Сейчас нужно другое — подсказка на экране ниже 👇") == 2
    assert screen(calls).text.startswith(VIDEO_TITLE)


async def test_an_unknown_command(harness: Harness) -> None:
    chatter = await _on_video_screen(harness)
    await chatter.send("/pay_me_now")
    calls = harness.take()
    assert texts_of(calls)[0] == "Команды /pay_me_now нет. Все команды — в /help, а меню — ниже 👇"
    assert screen(calls).text.startswith(VIDEO_TITLE)
    assert await state_of(harness) == "balance"


async def test_a_message_before_any_start_gets_the_menu(harness: Harness) -> None:
    await harness.user(user_id=99).send("привет")
    calls = harness.take()
    assert texts_of(calls)[0].startswith("🤔")
    assert labels(screen(calls).reply_markup) == MAIN_MENU


async def test_a_stored_state_that_no_longer_exists_goes_back_to_the_menu(harness: Harness) -> None:
    chatter = await _on_video_screen(harness)
    # As if a YAML change removed the screen the user was on.
    await harness.db.execute("UPDATE fsm_records SET state = 'retired_screen', data = '{\"x\": 1}' WHERE user_id = 7")
    await harness.dispatcher.storage.close()  # drop the storage's cache: the next read sees the table
    await chatter.press("go:main", message_id=1000)
    calls = harness.take()
    assert answers(calls)[0].text == "Бот обновился, и прежний экран больше недоступен. Вернул вас в главное меню."
    assert labels(screen(calls).reply_markup) == MAIN_MENU
    assert await state_of(harness) == "main"

    await harness.db.execute("UPDATE fsm_records SET state = 'retired_screen' WHERE user_id = 7")
    await harness.dispatcher.storage.close()
    await chatter.send("текст")
    calls = harness.take()
    assert texts_of(calls)[0].startswith("Бот обновился")
    assert labels(screen(calls).reply_markup) == MAIN_MENU


async def test_a_duplicate_update_is_handled_once(harness: Harness, caplog) -> None:  # type: ignore[no-untyped-def]
    chatter = harness.user()
    update = chatter.text_update("/start")
    with caplog.at_level("INFO", logger="engine.dedupe"):
        await chatter.feed(update)
        await chatter.feed(update)
    assert len(texts_of(harness.take())) == 1
    assert f"✅ Update {update.update_id} marked as NEW (first time)" in caplog.messages
    assert f"⏭️ Update {update.update_id} already exists (duplicate)" in caplog.messages


async def test_every_update_is_logged_with_user_trigger_and_state_change(harness: Harness, caplog) -> None:  # type: ignore[no-untyped-def]
    chatter = harness.user()
    with caplog.at_level("INFO", logger="engine.update"):
        await chatter.send("/start")
        await chatter.press("go:balance", message_id=1000)
    lines = [r.getMessage() for r in caplog.records if r.name == "engine.update"]
    assert lines[0].endswith("user=7 trigger=/start state: main -> main")
    assert lines[1].endswith("user=7 trigger=go:balance state: main -> balance")
