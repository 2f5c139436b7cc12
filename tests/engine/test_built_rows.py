"""Engine features a catalog-driven product needs: rows built per update, text fragments, `prepare`,
a list of triggers in one transition, button pop-ups, product data loaders — with their lint checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram import Bot

from engine.app import build_dispatcher
from engine.bundle import check, load_bundle
from engine.registry import Key, Registry
from engine.source import Problem
from engine.spec import Product
from engine.testing import TOKEN, Chatter, RecordingSession
from engine.texts import Fragment
from engine.turn import Turn
from storage import Database
from tests.conftest import answers, labels, screen

MENUS = """
start: home
commands:
  start: {description: t.cmd, before: forget}
screens:
  home:
    text: t.home
    data: fruit_count
    rows:
      - {each: fruit_buttons}
      - [{text: t.back, go: home}]
  chosen:
    text: t.chosen
    data: chosen_fruit
    rows:
      - [{text: t.back, go: home}]
"""
FLOW = """
initial: chosen
states:
  chosen: {screen: chosen}
transitions:
  - {trigger: [pick, pick_again], source: home, dest: chosen, prepare: weigh, conditions: light_enough}
  - {trigger: [pick, pick_again], source: home, dest: null, after: too_heavy}
"""
TEXTS = """
t:
  cmd: Start
  home: "Fruits: {count}"
  chosen: "You chose {fruit}"
  back: Back
  fruit: "{name} ({grams} g)"
  heavy: "Too heavy: {name}"
  line: "<b>{name}</b>"
engine:
  stale_button: stale
  unknown_button: unknown
  unexpected_input: unexpected
  unknown_command: "no /{command}"
  state_reset: reset
  failure: sorry
"""
FRUITS = {"apple": 150, "melon": 2000, "kiwi<": 70}


def make_registry(loaded: list[str]) -> Registry:
    registry = Registry()

    @registry.loader("fruits")
    def read_fruits(root: Path, product: Product) -> tuple[Any, list[Problem]]:
        loaded.append(root.name)
        return dict(FRUITS), []

    @registry.buttons(triggers=("pick",), texts=("t.fruit",))
    async def fruit_buttons(turn: Turn) -> list[list[Key]]:
        return [
            [Key("t.fruit", "pick", name, {"name": name, "grams": g})] for name, g in turn.services["fruits"].items()
        ]

    @registry.screen_data(provides=("count",), texts=())
    async def fruit_count(turn: Turn) -> dict[str, Any]:
        return {"count": len(turn.services["fruits"])}

    @registry.screen_data(provides=("fruit",), texts=("t.line",))
    async def chosen_fruit(turn: Turn) -> dict[str, Any]:
        return {"fruit": Fragment.of("t.line", name=turn.data.get("fruit", "?"))}

    @registry.action()
    async def weigh(turn: Turn) -> None:
        turn.data["fruit"] = turn.payload
        turn.data["light"] = turn.services["fruits"].get(turn.payload, 0) < 1000

    @registry.guard
    async def light_enough(turn: Turn) -> bool:
        return bool(turn.data.get("light"))

    @registry.action(notices=("t.heavy",))
    async def too_heavy(turn: Turn) -> None:
        turn.answer("t.heavy", alert=True, name=turn.payload)

    @registry.action()
    async def forget(turn: Turn) -> None:
        loaded.append(f"forget:{turn.user.id}")

    return registry


def write_product(root: Path, menus: str = MENUS) -> Path:
    (root / "flows").mkdir(parents=True, exist_ok=True)
    (root / "menus.yaml").write_text(menus, encoding="utf-8")
    (root / "texts.ru.yaml").write_text(TEXTS, encoding="utf-8")
    (root / "flows" / "pick.yaml").write_text(FLOW, encoding="utf-8")
    return root


async def test_rows_fragments_prepare_and_popups(tmp_path: Path, db: Database) -> None:
    loaded: list[str] = []
    bundle = load_bundle(write_product(tmp_path / "fruit"), make_registry(loaded))
    assert loaded == ["fruit"] and bundle.data["fruits"] == FRUITS
    session = RecordingSession()
    bot = Bot(TOKEN, session=session)
    from aiogram.types import User

    chatter = Chatter(build_dispatcher(bundle, db), bot, User(id=5, is_bot=False, first_name="Ann"))
    await chatter.send("/start")
    calls = session.take()
    assert loaded[-1] == "forget:5"  # /start ran its `before` action
    assert screen(calls).text == "Fruits: 3"
    assert labels(screen(calls).reply_markup) == [["apple (150 g)"], ["melon (2000 g)"], ["kiwi< (70 g)"], ["Back"]]
    await chatter.press("pick|melon", message_id=10)
    calls = session.take()
    assert [(a.text, a.show_alert) for a in answers(calls)] == [("Too heavy: melon", True)]
    await chatter.press("pick|kiwi<", message_id=10)
    calls = session.take()
    assert screen(calls).text == "You chose <b>kiwi&lt;</b>"  # the fragment's HTML kept, the value escaped


def test_lint_checks_button_sources_and_their_triggers(tmp_path: Path) -> None:
    broken = MENUS.replace("{each: fruit_buttons}", "{each: fruit_buttonz}")
    problems = [str(p) for p in check(write_product(tmp_path / "a", broken), make_registry([])).problems]
    assert any("menus.yaml:10: screen 'home': button source 'fruit_buttonz' is not registered" in p for p in problems)

    registry = make_registry([])
    registry.button_sources["fruit_buttons"] = registry.button_sources["fruit_buttons"].__class__(
        registry.button_sources["fruit_buttons"].function, frozenset({"eat"}), frozenset({"t.fruit", "t.missing"})
    )
    problems = [str(p) for p in check(write_product(tmp_path / "b"), registry).problems]
    assert any("fires 'eat' on state 'home', but no flow transition handles it there" in p for p in problems)
    assert any("button source 'fruit_buttons' uses text 't.missing'" in p for p in problems)


def test_a_loader_problem_fails_lint(tmp_path: Path) -> None:
    registry = make_registry([])

    @registry.loader("prices")
    def read_prices(root: Path, product: Product) -> tuple[Any, list[Problem]]:
        return None, [Problem("prices.yaml", 3, "a price must be positive")]

    problems = [str(p) for p in check(write_product(tmp_path / "c"), registry).problems]
    assert problems == ["prices.yaml:3: a price must be positive"]
