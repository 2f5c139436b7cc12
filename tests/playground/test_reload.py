"""`studio-bot run --reload`: YAML edits are picked up without a restart; a broken edit is reported on
the page and the old version keeps answering."""

from __future__ import annotations

import os
from pathlib import Path

from aiogram import Bot

from engine.app import build_dispatcher
from engine.bundle import import_registry, load_bundle
from engine.reload import Reloader
from engine.testing import TOKEN, RecordingSession
from playground.server import Playground
from storage import Database
from tests.conftest import Harness, screen
from tests.engine.test_lint import edit, product_copy


def _touch(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a second later, whatever the clock


async def test_an_edit_is_picked_up_and_a_broken_one_is_reported(tmp_path: Path, db: Database) -> None:
    root = product_copy(tmp_path)
    registry, _ = import_registry("flows")
    session = RecordingSession()
    harness = Harness(build_dispatcher(load_bundle(root, registry), db), session, Bot(TOKEN, session=session), db)
    playground = Playground()
    reloader = Reloader(root, registry, harness.dispatcher, report=playground.announce)
    assert await reloader.check_now() is False  # nothing changed yet

    edit(root, "texts.ru.yaml", "добро пожаловать в AI Studio!", "рады видеть вас в AI Studio!")
    _touch(root / "texts.ru.yaml")
    assert await reloader.check_now() is True
    await harness.user().send("/start")
    assert "рады видеть вас в AI Studio!" in screen(harness.take()).text
    assert playground.notice == "✅ reloaded"

    line = edit(root, "menus.yaml", "{text: btn.balance, go: balance}", "{text: btn.balance, go: balanse}")
    _touch(root / "menus.yaml")
    assert await reloader.check_now() is False
    assert f"menus.yaml:{line}: button 'btn.balance' goes to unknown screen 'balanse'" in playground.notice
    await harness.user().send("/start")
    shown = screen(harness.take())
    assert "рады видеть вас в AI Studio!" in shown.text  # the last good version still answers
    assert shown.reply_markup is not None
