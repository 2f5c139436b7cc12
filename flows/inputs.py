"""Judging one answer to one input field, whatever the model: the rules of each field type.

Pure functions: they see the field, what the user sent and what is already collected, and say
what to store, whether the field is complete, or which text explains what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiogram.types import Message

from flows.catalog import Field

MAX_IMAGE_BYTES = 10 * 1024 * 1024  # what Kie's upload accepts for an image
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
ANSWER_TEXTS = (
    "answer.empty",
    "answer.too_long",
    "answer.not_number",
    "answer.out_of_range",
    "answer.need_text",
    "answer.need_choice",
    "answer.need_image",
    "answer.not_image",
    "answer.too_large",
    "answer.need_images_first",
    "answer.unknown_choice",
    "answer.cannot_skip",
)


@dataclass(frozen=True)
class Verdict:
    """What to do with an answer: store `value` (and maybe move on), or explain `error`."""

    value: Any = None
    complete: bool = False
    error: tuple[str, dict[str, Any]] | None = None
    skipped: bool = False


def _error(key: str, **values: Any) -> Verdict:
    return Verdict(error=(key, values))


def _expected(f: Field) -> Verdict:
    if f.type in ("string", "number"):
        return _error("answer.need_text", title=f.title)
    if f.type in ("image", "images"):
        return _error("answer.need_image", limit=MAX_IMAGE_BYTES // 2**20)
    return _error("answer.need_choice")


@dataclass(frozen=True)
class Answer:
    """What the user did: typed text, sent a photo or file, pressed choose|i, done or skip."""

    trigger: str
    text: str | None = None
    payload: str | None = None
    message: Message | None = None
    collected: list[Any] = field(default_factory=list)  # images already in, for an `images` field


def judge(f: Field, answer: Answer) -> Verdict:
    if answer.trigger == "skip":
        if f.required:
            return _error("answer.cannot_skip")
        return Verdict(complete=True, skipped=True)
    if answer.trigger == "message.other":
        return _expected(f)
    if f.type == "string":
        return _string(f, answer)
    if f.type == "number":
        return _number(f, answer)
    if f.type in ("enum", "bool"):
        return _choice(f, answer)
    return _image(f, answer)


def _string(f: Field, answer: Answer) -> Verdict:
    if answer.trigger != "message.text":
        return _expected(f)
    text = (answer.text or "").strip()
    if not text:
        return _error("answer.empty")
    if f.max_length is not None and len(text) > f.max_length:
        return _error("answer.too_long", length=len(text), limit=f.max_length)
    return Verdict(value=text, complete=True)


def _number(f: Field, answer: Answer) -> Verdict:
    if answer.trigger != "message.text":
        return _expected(f)
    raw = (answer.text or "").strip().replace(",", ".").replace(" ", "")
    try:
        number = float(raw)
    except ValueError:
        return _error("answer.not_number", example=f.minimum if f.minimum is not None else 1)
    if number != number or number in (float("inf"), float("-inf")):  # NaN and infinities are not numbers to a user
        return _error("answer.not_number", example=f.minimum if f.minimum is not None else 1)
    low = f.minimum if f.minimum is not None else float("-inf")
    high = f.maximum if f.maximum is not None else float("inf")
    if not low <= number <= high:
        return _error("answer.out_of_range", min=_plain(low), max=_plain(high))
    return Verdict(value=int(number) if number.is_integer() else number, complete=True)


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _choice(f: Field, answer: Answer) -> Verdict:
    if answer.trigger != "choose":
        return _expected(f)
    if answer.payload is None or not answer.payload.isdigit() or int(answer.payload) >= len(f.values):
        return _error("answer.unknown_choice")
    return Verdict(value=f.values[int(answer.payload)][0], complete=True)


def _image(f: Field, answer: Answer) -> Verdict:
    collected = list(answer.collected)
    limit = f.max_items or 1
    if answer.trigger == "done" and f.type == "images":
        if not collected:
            return _error("answer.need_images_first")
        return Verdict(value=collected, complete=True)
    message = answer.message
    if answer.trigger not in ("message.photo", "message.document") or message is None:
        return _expected(f)
    if message.photo:
        photo = message.photo[-1]  # Telegram lists sizes smallest first
        file = {"file_id": photo.file_id, "unique_id": photo.file_unique_id, "size": photo.file_size or 0}
    else:
        document = message.document
        assert document is not None
        if (document.mime_type or "") not in IMAGE_TYPES:
            return _error("answer.not_image", mime=document.mime_type or "?")
        file = {"file_id": document.file_id, "unique_id": document.file_unique_id, "size": document.file_size or 0}
    if file["size"] > MAX_IMAGE_BYTES:
        return _error("answer.too_large", size=round(file["size"] / 2**20, 1), limit=MAX_IMAGE_BYTES // 2**20)
    if f.type == "image":
        return Verdict(value=file, complete=True)
    collected.append(file)
    return Verdict(value=collected, complete=len(collected) >= limit)
