"""/start: the seed's welcome with the user's name and the seed's exact main-menu layout."""

from aiogram.enums import ParseMode
from aiogram.methods import SendMessage

from storage import Users
from tests.conftest import Harness, labels, screen

WELCOME = (
    "👋 {name}, добро пожаловать в AI Studio!\n"
    "🚀 42+ премиальных нейросетей для креативных задач\n"
    "🎬 Видео для Reels, TikTok, YouTube\n"
    "🖼 Креативы для рекламы и соцсетей\n"
    "✍️ Тексты, сценарии, объявления\n"
    "🎧 Озвучку и музыку для контента"
)
MAIN_MENU = [
    ["🎬 Видео", "🖼 Изображения"],
    ["✍️ Тексты", "🎧 Аудио"],
    ["🎼 Музыка", "🧰 Инструменты"],
    ["🔥 Бесплатные", "⭐ Популярные"],
    ["💼 Мои проекты"],
    ["💳 Баланс", "💎 Тарифы"],
    ["🔍 Поиск", "🆘 Поддержка"],
]


async def test_start_sends_the_seed_welcome_and_main_menu(harness: Harness) -> None:
    await harness.user(first_name="Анна").send("/start")
    calls = harness.take()
    sent = screen(calls)
    assert isinstance(sent, SendMessage)
    assert sent.text == WELCOME.format(name="Анна")
    assert sent.parse_mode == ParseMode.HTML
    assert labels(sent.reply_markup) == MAIN_MENU


async def test_the_name_is_html_escaped(harness: Harness) -> None:
    await harness.user(first_name="<b>Bob & Co</b>").send("/start")
    assert screen(harness.take()).text.startswith("👋 &lt;b&gt;Bob &amp; Co&lt;/b&gt;, добро пожаловать")


async def test_start_stores_the_user_and_the_state(harness: Harness) -> None:
    chatter = harness.user(user_id=501, first_name="Ира", username="ira")
    await chatter.send("/start")
    record = await Users(harness.db).get(501)
    assert record is not None
    assert (record.first_name, record.username, record.language_code) == ("Ира", "ira", "ru")
    row = await harness.db.fetch_one("SELECT state, data FROM fsm_records WHERE user_id = 501")
    assert row is not None and (row["state"], row["data"]) == ("main", "{}")


async def test_start_with_bot_username_and_deep_link_payload(harness: Harness) -> None:
    await harness.user().send("/start@studio_bot ref_123")
    assert labels(screen(harness.take()).reply_markup) == MAIN_MENU
