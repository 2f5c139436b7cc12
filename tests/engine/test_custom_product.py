"""The engine with a product of the test's own: failing actions, payloads, one user's updates in order."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot

from engine.app import build_dispatcher
from engine.bundle import load_bundle
from engine.registry import Registry
from engine.testing import TOKEN, RecordingSession
from engine.turn import Turn
from storage import Database
from tests.conftest import Harness, answers, screen, texts_of

MENUS = """
start: home
commands:
  start: {description: t.cmd}
screens:
  home:
    text: t.home
    rows:
      - [{text: t.boom, trigger: boom}, {text: t.wait, trigger: wait}]
      - [{text: t.pick, trigger: pick, payload: 7}]
  done:
    text: t.done
    data: picked
    rows:
      - [{text: t.back, go: home}]
"""
FLOW = """
initial: finished
states:
  finished: {screen: done}
transitions:
  - {trigger: boom, source: home, dest: finished, before: explode}
  - {trigger: wait, source: home, dest: finished, before: hold}
  - {trigger: pick, source: home, dest: finished, before: remember_payload}
"""
TEXTS = """
t: {cmd: Start, home: Home, boom: Boom, wait: Wait, pick: Pick, done: "Picked {picked}", back: Back}
engine:
  stale_button: stale
  unknown_button: unknown
  unexpected_input: unexpected
  unknown_command: "no /{command}"
  state_reset: reset
  failure: sorry
"""


class Gate:
    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.log: list[str] = []


def make_registry(gate: Gate) -> Registry:
    registry = Registry()

    @registry.action()
    async def explode(turn: Turn) -> None:
        turn.data["half_done"] = True
        raise RuntimeError("the provider fell over")

    @registry.action()
    async def hold(turn: Turn) -> None:
        gate.entered.set()
        await gate.release.wait()
        gate.log.append(f"{turn.user.id}:hold")

    @registry.action()
    async def remember_payload(turn: Turn) -> None:
        turn.data["picked"] = turn.payload
        gate.log.append(f"{turn.user.id}:pick")

    @registry.screen_data(provides=("picked",))
    async def picked(turn: Turn) -> dict[str, Any]:
        return {"picked": turn.data.get("picked", "-")}

    return registry


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def product(tmp_path: Path, gate: Gate, db: Database) -> Harness:
    root = tmp_path / "product"
    (root / "flows").mkdir(parents=True)
    (root / "menus.yaml").write_text(MENUS, encoding="utf-8")
    (root / "texts.ru.yaml").write_text(TEXTS, encoding="utf-8")
    (root / "flows" / "work.yaml").write_text(FLOW, encoding="utf-8")
    session = RecordingSession()
    bundle = load_bundle(root, make_registry(gate))
    return Harness(build_dispatcher(bundle, db), session, Bot(TOKEN, session=session), db)


async def test_a_failing_action_apologises_and_changes_nothing(product: Harness) -> None:
    chatter = product.user()
    await chatter.send("/start")
    product.take()
    await chatter.press("boom", message_id=1000)
    calls = product.take()
    assert texts_of(calls) == ["sorry", "Home"]
    row = await product.db.fetch_one("SELECT state, data FROM fsm_records WHERE user_id = 7")
    assert row is not None and (row["state"], row["data"]) == ("home", "{}")


async def test_a_button_payload_reaches_the_action(product: Harness) -> None:
    chatter = product.user()
    await chatter.send("/start")
    await chatter.press("pick|7", message_id=1000)
    assert screen(product.take()).text == "Picked 7"
    await chatter.press("pick|8", message_id=1000)  # a payload from no longer shown button: the state moved on
    assert answers(product.take())[0].text == "stale"


async def test_one_users_updates_wait_for_each_other_and_other_users_do_not(product: Harness, gate: Gate) -> None:
    anna, boris = product.user(user_id=1), product.user(user_id=2)
    await anna.send("/start")
    await boris.send("/start")
    first = asyncio.create_task(anna.press("wait", message_id=1000))
    await gate.entered.wait()
    second = asyncio.create_task(anna.press("pick|7", message_id=1000))

    await boris.press("pick|7", message_id=1001)  # runs to the end while Anna's first update is held
    assert gate.log == ["2:pick"]
    assert not second.done()

    gate.release.set()
    await asyncio.gather(first, second)
    # Anna's second press ran after her first finished, so it found her on the new screen: stale.
    assert gate.log == ["2:pick", "1:hold"]
    row = await product.db.fetch_one("SELECT state, data FROM fsm_records WHERE user_id = 1")
    assert row is not None and (row["state"], row["data"]) == ("work.finished", "{}")
