"""Sending a finished job to its chat: by media type, several as an album, too big as a link.

Results are downloaded and uploaded as files rather than passed to Telegram as URLs: Telegram cannot
reach a private or local host, and the bytes tell the real type (the URL may not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaAudio,
    InputMediaPhoto,
    InputMediaVideo,
)

from engine.texts import Texts
from flows.catalog import Model
from providers.kie import KieClient
from storage import Job

BOT_UPLOAD_LIMIT = 50 * 2**20  # what a bot may send as a file
PHOTO_LIMIT = 10 * 2**20  # larger images go as documents
MAX_CAPTION = 1024
MAX_MESSAGE = 4096


@dataclass(frozen=True)
class Result:
    content: bytes
    content_type: str
    name: str

    @property
    def kind(self) -> str:
        kind = self.content_type
        if kind == "image/gif":
            return "animation"
        if kind.startswith("image/"):
            return "photo" if len(self.content) <= PHOTO_LIMIT else "document"
        if kind.startswith("video/"):
            return "video"
        if kind in ("audio/ogg", "audio/opus"):
            return "voice"
        if kind.startswith("audio/"):
            return "audio"
        if kind.startswith("text/"):
            return "text"
        return "document"


def caption(texts: Texts, model: Model | None, job: Job) -> str:
    title = model.title if model else job.model_id
    prompt = str(job.inputs.get("prompt") or job.inputs.get("text") or "")
    text = texts.render("result.caption", {"model": title, "prompt": prompt})
    while len(text) > MAX_CAPTION and prompt:
        prompt = prompt[: max(0, len(prompt) - (len(text) - MAX_CAPTION) - 1)].rstrip() + "…"
        text = texts.render("result.caption", {"model": title, "prompt": prompt})
    return text[:MAX_CAPTION]


def result_keyboard(texts: Texts, job_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=texts.render("btn.repeat"), callback_data=f"repeat|{job_id}")],
            [InlineKeyboardButton(text=texts.render("btn.to_menu"), callback_data="to_menu")],
        ]
    )


async def fetch_results(kie: KieClient, urls: tuple[str, ...]) -> tuple[list[Result], list[str]]:
    """The results that fit a bot's upload, and the URLs of those that do not."""
    results, too_big = [], []
    for url in urls:
        try:
            content, content_type = await kie.fetch(url, BOT_UPLOAD_LIMIT)
        except OverflowError:
            too_big.append(url)
            continue
        results.append(Result(content, content_type, url.rsplit("/", 1)[-1].split("?")[0] or "result"))
    return results, too_big


async def deliver(
    bot: Bot, texts: Texts, job: Job, model: Model | None, results: list[Result], links: list[str]
) -> None:
    chat_id = job.chat_id or job.user_id
    keyboard = result_keyboard(texts, job.id)
    text_parts = [job.result_text] if job.result_text is not None else []
    text_parts += [r.content.decode("utf-8", "replace") for r in results if r.kind == "text"]
    files = [r for r in results if r.kind != "text"]
    head = caption(texts, model, job)
    sent_keyboard = False
    title = model.title if model else job.model_id
    for index, part in enumerate(text_parts):
        last = index == len(text_parts) - 1 and not files and not links
        await _send_text(
            bot,
            chat_id,
            texts.render("result.text_head", {"model": title}, html_mode=False),
            part,
            keyboard if last else None,
        )
        sent_keyboard = sent_keyboard or last
    if len(files) == 1:
        await _send_one(bot, chat_id, files[0], head, keyboard)
        sent_keyboard = True
    elif files and len({_album_kind(f) for f in files}) == 1 and _album_kind(files[0]) is not None:
        for start in range(0, len(files), 10):  # an album holds at most 10
            media = [_media(f, head if start + i == 0 else None) for i, f in enumerate(files[start : start + 10])]
            await bot.send_media_group(chat_id, media=media)  # type: ignore[arg-type]
    else:
        for f in files:
            await _send_one(bot, chat_id, f, head, None)
    if links:
        await bot.send_message(
            chat_id,
            texts.render("result.links", {"links": "\n".join(links)}),
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
        )
    elif not sent_keyboard:
        await bot.send_message(
            chat_id, texts.render("result.done", {"model": title}), parse_mode=ParseMode.HTML, reply_markup=keyboard
        )


async def _send_text(bot: Bot, chat_id: int, head: str, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """A text result, split at Telegram's 4096 characters; plain text, since it is the model's, not ours."""
    body = f"{head}\n\n{text}"
    chunks = [body[start : start + MAX_MESSAGE] for start in range(0, len(body), MAX_MESSAGE)]
    for index, chunk in enumerate(chunks):
        markup = keyboard if index == len(chunks) - 1 else None
        await bot.send_message(chat_id, chunk, parse_mode=None, reply_markup=markup)


def _album_kind(result: Result) -> str | None:
    return {"photo": "visual", "video": "visual", "audio": "audio"}.get(result.kind)


def _media(result: Result, text: str | None) -> Any:
    file = BufferedInputFile(result.content, result.name)
    if result.kind == "photo":
        return InputMediaPhoto(media=file, caption=text, parse_mode=ParseMode.HTML)
    if result.kind == "video":
        return InputMediaVideo(media=file, caption=text, parse_mode=ParseMode.HTML)
    return InputMediaAudio(media=file, caption=text, parse_mode=ParseMode.HTML)


async def _send_one(bot: Bot, chat_id: int, result: Result, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    file = BufferedInputFile(result.content, result.name)
    common: dict[str, Any] = {"caption": text, "parse_mode": ParseMode.HTML, "reply_markup": keyboard}
    senders = {
        "photo": lambda: bot.send_photo(chat_id, photo=file, **common),
        "animation": lambda: bot.send_animation(chat_id, animation=file, **common),
        "video": lambda: bot.send_video(chat_id, video=file, **common),
        "voice": lambda: bot.send_voice(chat_id, voice=file, **common),
        "audio": lambda: bot.send_audio(chat_id, audio=file, **common),
    }
    send = senders.get(result.kind, lambda: bot.send_document(chat_id, document=file, **common))
    await send()
