"""The journey through the real Dispatcher: a model of every category, from the menu to a recorded job."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Harness
from tests.flows.helpers import User, balance, jobs, ledger_sum

WELCOME_BONUS = 5000  # catalog.yaml: welcome_bonus


async def _launch(user: User) -> None:
    assert "Проверьте заказ" in user.text, user.text
    await user.press("✅ Запустить")
    assert "принята" in user.text, user.text


async def test_video_text_to_video_with_every_choice(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("🎬 Видео", "kling-2.6/text-to-video")
    assert "<b>Kling 2.6</b>" in user.text and "Подходит для:" in user.text and "от 44 ₽" in user.text
    await user.press("🚀 Генерировать")
    assert "Шаг 1 из 4" in user.text and "до 1000 символов" in user.text
    await user.send("Кот катается на скейте по набережной")
    assert "Шаг 2 из 4" in user.text and "✓ 9:16 вертикальный" in user.flat_buttons
    await user.press("16:9 горизонтальный")
    await user.press("10 секунд")
    assert "Шаг 4 из 4" in user.text and user.buttons[0] == ["Да", "Нет"]
    await user.press("Нет")
    assert "• Формат: 16:9 горизонтальный" in user.text and "• Длительность: 10 секунд" in user.text
    # 110 credits × 40 kopecks × 2 (markup) = 88 ₽ > the 50 ₽ bonus: the confirmation says what is missing.
    assert "Стоимость: <b>88 ₽</b>" in user.text and "Не хватает 38 ₽" in user.text
    assert user.buttons[0] == ["💎 Пополнить баланс"]
    await user.press("✏️ Изменить")
    await user.press("Длительность")
    await user.press("✓ 5 секунд")
    assert "Стоимость: <b>44 ₽</b>" in user.text and "после запуска: 6 ₽" in user.text
    await _launch(user)
    assert "Списано 44 ₽, на балансе 6 ₽" in user.text
    [job] = await jobs(harness)
    assert job["model_id"] == "kling-2.6/text-to-video" and job["price"] == 4400 and job["state"] == "created"
    assert json.loads(job["inputs"]) == {
        "prompt": "Кот катается на скейте по набережной",
        "aspect_ratio": "16:9",
        "duration": "5",
        "sound": False,
    }
    assert await balance(harness) == WELCOME_BONUS - 4400 == await ledger_sum(harness)


async def test_image_edit_with_several_photos(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("🖼 Изображения", "google/nano-banana-edit")
    await user.press("🚀 Генерировать")
    assert "Загружено: <b>0 из 5</b>" in user.text and not any("Готово" in b for b in user.flat_buttons)
    await user.photo("p1")
    assert "Загружено: <b>1 из 5</b>" in user.text and "✅ Готово (1)" in user.flat_buttons
    await user.document("image/png", file_id="d2")
    assert "Загружено: <b>2 из 5</b>" in user.text
    await user.press("✅ Готово (2)")
    assert "Шаг 2 из 2" in user.text
    await user.send("Замени фон на морской пейзаж")
    assert "Дополнительные настройки" in user.text  # the optional format
    await user.press("⚙️ Настроить")
    assert "Необязательно" in user.text and "➡️ Пропустить — по умолчанию" in user.flat_buttons
    await user.press("✓ Как у исходного фото")
    assert "• Фото для правки: 📎 фото — 2 шт." in user.text and "Стоимость: <b>4 ₽</b>" in user.text
    await _launch(user)
    inputs = json.loads((await jobs(harness))[0]["inputs"])
    assert [f["file_id"] for f in inputs["image_urls"]] == ["p1", "d2"] and inputs["image_size"] == "auto"


async def test_images_stop_at_max_items(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("🎬 Видео", "sora-2-image-to-video")  # one first frame
    await user.press("🚀 Генерировать")
    await user.photo("frame")
    assert "Шаг 2 из 2" in user.text  # max_items 1: no "Готово" needed


async def test_text_model_from_a_preset(harness: Harness) -> None:
    user = User(harness)
    await user.start()
    await user.press("✍️ Тексты")
    await user.press("✍️ Текст объявления")
    assert "шаблон запроса" in user.text and "{площадка}" in user.text
    await user.press("🚀 Генерировать")
    assert "Скопируйте шаблон" in user.text and "{площадка}" in user.text
    await user.send("Объявление для ВКонтакте о доставке роллов. Главная выгода: 30 минут. Призыв: закажите")
    await user.press("⚙️ Настроить")
    await user.press("Деловой")
    await _launch(user)
    [job] = await jobs(harness)
    assert job["model_id"] == "text/ad-copy" and json.loads(job["inputs"])["tone"] == "деловой"
    assert job["price"] == 300


async def test_audio_music_and_tools_with_a_photo(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("🎧 Аудио", "elevenlabs/text-to-speech-multilingual-v2")
    await user.press("🚀 Генерировать")
    await user.send("Скидки до пятидесяти процентов только до воскресенья!")
    await user.press("➡️ Пропустить — по умолчанию")  # voice stays Rachel
    assert "• Голос: Rachel — женский" in user.text
    await _launch(user)
    await user.start()  # /start releases the lock; the job stays recorded

    await user.open_model("🎼 Музыка", "suno/v5")
    await user.press("🚀 Генерировать")
    await user.send("Весёлый джингл для лимонада")
    await user.press("Да")
    await _launch(user)
    await user.start()

    await user.open_model("🧰 Инструменты", "recraft/remove-background")
    await user.press("🚀 Генерировать")
    await user.photo("product")
    assert "Бесплатно" in user.text and "Стоимость: <b>бесплатно</b>" in user.text
    await _launch(user)
    assert "Бесплатная генерация: сегодня осталось 4 из 5" in user.text
    models = [j["model_id"] for j in await jobs(harness)]
    assert models == ["elevenlabs/text-to-speech-multilingual-v2", "suno/v5", "recraft/remove-background"]
    assert [j["free"] for j in await jobs(harness)] == [0, 0, 1]
    assert await balance(harness) == WELCOME_BONUS - 1000 - 1000 == await ledger_sum(harness)


# -- every input type with good and bad answers ----------------------------------------------------


async def test_a_too_long_prompt_says_how_long_and_keeps_the_state(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("🖼 Изображения", "z-image")
    await user.press("🚀 Генерировать")
    await user.send("к" * 1001)
    assert user.notices == [
        "✂️ В вашем тексте 1001 символов, а можно не больше 1000."
        " Сократите и пришлите ещё раз — остальные ответы сохранены."
    ]
    assert "Шаг 1 из 2" in user.text and await user.state() == "studio.ask"
    await user.send("   ")
    assert user.notices == ["Пустое сообщение не подойдёт — напишите текст."]
    await user.send("к" * 1000)
    assert "Шаг 2 из 2" in user.text


async def test_wrong_kinds_of_message_explain_what_is_expected(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("🧰 Инструменты", "topaz/image-upscale")
    await user.press("🚀 Генерировать")
    await user.sticker()
    assert user.notices[0].startswith("Здесь нужна картинка")
    await user.send("вот фото")
    assert user.notices[0].startswith("Здесь нужна картинка")
    await user.document("application/pdf")
    assert user.notices == ["Этот файл не картинка (application/pdf). Пришлите фото или файл JPG, PNG, WebP."]
    await user.photo(size=25 * 2**20)
    assert user.notices == ["Файл весит 25.0 МБ, а можно не больше 10 МБ. Сожмите его или отправьте обычным фото."]
    await user.photo("ok")
    assert "Во сколько раз увеличить" in user.text
    await user.send("4")
    assert user.notices == ["Выберите вариант кнопкой под вопросом."]
    await user.voice()
    assert user.notices == ["Выберите вариант кнопкой под вопросом."]
    await user.press_data("choose|9")  # a forged index
    assert user.notices == ["Такого варианта нет — выберите из кнопок под вопросом."]
    await user.press("×4")
    assert "• Во сколько раз увеличить: ×4" in user.text and "Стоимость: <b>16 ₽</b>" in user.text


async def test_a_text_question_refuses_stickers_and_photos(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("✍️ Тексты", "text/assistant")
    await user.press("🚀 Генерировать")
    await user.sticker()
    assert user.notices[0].startswith("Здесь нужен текст: «Ваш вопрос или задача»")
    await user.photo()
    assert user.notices[0].startswith("Здесь нужен текст")
    assert await user.state() == "studio.ask"


async def test_number_answers_are_checked_for_range() -> None:
    from flows.catalog import Field
    from flows.inputs import Answer, judge

    f = Field("guidance", "number", "Сила", minimum=1, maximum=10)
    assert judge(f, Answer("message.text", "abc")).error == ("answer.not_number", {"example": 1})
    assert judge(f, Answer("message.text", "nan")).error == ("answer.not_number", {"example": 1})
    assert judge(f, Answer("message.text", "11")).error == ("answer.out_of_range", {"min": "1", "max": "10"})
    assert judge(f, Answer("message.text", "2,5")).value == 2.5
    assert judge(f, Answer("message.text", "7")).value == 7


async def test_back_goes_to_the_previous_field_and_then_to_the_card(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("🎬 Видео", "kling-2.6/text-to-video")
    await user.press("🚀 Генерировать")
    await user.send("Кот")
    await user.press("✓ 9:16 вертикальный")
    assert "Шаг 3 из 4" in user.text
    await user.press("◀️ Назад")
    assert "Шаг 2 из 4" in user.text
    await user.press("◀️ Назад")
    assert "Шаг 1 из 4" in user.text
    await user.press("◀️ Назад")
    assert "<b>Kling 2.6</b>" in user.text and await user.state() == "studio.card"


async def test_cancel_drops_the_answers(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("🎬 Видео", "kling-2.6/text-to-video")
    await user.press("🚀 Генерировать")
    await user.send("Кот")
    await user.press("❌ Отмена")
    assert await user.state() == "studio.card"
    await user.press("🚀 Генерировать")
    assert "Шаг 1 из 4" in user.text


async def test_start_in_the_middle_resets_to_the_menu(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("🎬 Видео", "kling-2.6/text-to-video")
    await user.press("🚀 Генерировать")
    await user.send("Кот")
    await user.start()
    assert "добро пожаловать" in user.text and await user.state() == "main"
    await user.press_data("choose|0")  # the old question's button
    assert user.popups == ["Эта кнопка устарела — показываю актуальный экран 👇"]


async def test_a_switched_off_model_cannot_be_opened_or_confirmed(harness: Harness, bundle) -> None:  # type: ignore[no-untyped-def]
    catalog = bundle.data["catalog"]
    user = User(harness)
    await user.open_model("🖼 Изображения", "google/nano-banana")
    await user.press("🚀 Генерировать")
    await user.send("Кот")
    await user.press("➡️ Пропустить — по умолчанию")
    catalog.disabled.add("google/nano-banana")
    try:
        await user.press("✅ Запустить")
        assert user.notices == ["Эта модель сейчас недоступна — выберите другую из списка."]
        assert await jobs(harness) == [] and await balance(harness) == WELCOME_BONUS
        await user.start()
        await user.press("🖼 Изображения")
        assert not any(label.startswith("Nano Banana · от") for label in user.flat_buttons)
        await user.press_data("pick_model|google/nano-banana")
        assert user.notices == ["Эта модель сейчас недоступна — выберите другую из списка."]
    finally:
        catalog.disabled.discard("google/nano-banana")


# -- lists -----------------------------------------------------------------------------------------


async def test_category_lists_are_paginated_with_prices(harness: Harness) -> None:
    user = User(harness)
    await user.start()
    await user.press("🎬 Видео")
    assert user.buttons[-2] == ["◀", "1/3", "▶"] and user.buttons[0] == ["Veo 3.1 · от 48 ₽"]
    assert sum(1 for label in user.flat_buttons if " · от " in label) == 8
    await user.press("▶")
    assert user.buttons[-2] == ["◀", "2/3", "▶"]
    await user.press("◀")
    await user.press("◀")
    assert user.buttons[-2] == ["◀", "3/3", "▶"]


async def test_free_lists_the_five_cheapest_and_the_quota(harness: Harness, bundle) -> None:  # type: ignore[no-untyped-def]
    catalog = bundle.data["catalog"]
    cheapest = sorted(catalog.models.values(), key=lambda m: (m.min_price, m.order))[:5]
    user = User(harness)
    await user.start()
    await user.press("🔥 Бесплатные")
    assert "Сегодня осталось: <b>5 из 5</b>" in user.text
    assert user.flat_buttons[:5] == [f"{m.title} · бесплатно" for m in cheapest]


async def test_popular_starts_curated_then_follows_completed_jobs(harness: Harness, bundle) -> None:  # type: ignore[no-untyped-def]
    catalog = bundle.data["catalog"]
    user = User(harness)
    await user.start()
    await user.press("⭐ Популярные")
    titles = [label.split(" · от ")[0] for label in user.flat_buttons if " · от " in label]
    assert titles[:3] == [catalog.models[m].title for m in catalog.popular[:3]]
    assert "🎯 Креатив для рекламы" in user.flat_buttons  # presets for a quick start
    for _ in range(3):
        await harness.db.execute(
            "INSERT INTO jobs (user_id, model_id, inputs, price, state, created_at, updated_at)"
            " VALUES (1, 'topaz/image-upscale', '{}', 0, 'delivered', 0, 0)"
        )
    await user.start()
    await user.press("⭐ Популярные")
    first = next(label for label in user.flat_buttons if " · от " in label)
    assert first.startswith("Topaz")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("нано банана", "Nano Banana"),
        ("veo", "Veo 3.1"),
        ("ВЕО", "Veo 3.1"),
        ("клинг", "Kling 2.6"),
        ("озвучка", "ElevenLabs · озвучка"),
        ("удалить фон", "Удаление фона"),
    ],
)
async def test_search_finds_by_title_in_any_script_and_by_task(harness: Harness, query: str, expected: str) -> None:
    user = User(harness)
    await user.start()
    await user.press("🔍 Поиск")
    await user.send(query)
    assert "найдено моделей" in user.text
    assert any(label.startswith(expected + " · ") for label in user.flat_buttons), user.flat_buttons


async def test_search_by_category_and_nothing_found(harness: Harness) -> None:
    user = User(harness)
    await user.start()
    await user.press("🔍 Поиск")
    await user.send("видео")
    assert "найдено моделей: 18" in user.text
    await user.start()
    await user.press("🔍 Поиск")
    await user.send("квантовый пылесос")
    assert user.notices == [
        "🤷 По запросу «квантовый пылесос» ничего не нашлось. Попробуйте другое слово или выберите категорию."
    ]
    assert "🎬 Видео" in user.flat_buttons and await user.state() == "studio.search"
    await user.press("🎧 Аудио")
    assert "<b>🎧 Аудио</b>" in user.text


async def test_balance_shows_the_bonus_the_quota_and_entries(harness: Harness) -> None:
    user = User(harness)
    await user.open_model("🖼 Изображения", "google/nano-banana")
    await user.press("🚀 Генерировать")
    await user.send("Кот")
    await user.press("➡️ Пропустить — по умолчанию")
    await _launch(user)
    await user.start()
    await user.press("💳 Баланс")
    assert "На счёте: <b>46 ₽</b>" in user.text and "из 5" in user.text
    assert "−4 ₽ · генерация №1" in user.text and "+50 ₽ · приветственный бонус" in user.text
