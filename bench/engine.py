"""Updates per second through the engine vs a hand-written aiogram handler, measured in the same run.

Both sides: the real Dispatcher, the same SQLite storage (a file, WAL), in-process event isolation,
a Bot whose session answers locally (no network), the same prepared Update objects fed one by one.
The engine side also runs what the hand-written side leaves out: update dedupe and the users table.

    python -m bench.engine [--users 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from aiogram import Bot, Dispatcher, F
from aiogram.enums import ParseMode
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import CallbackQuery, Message, Update, User

from engine.app import build_dispatcher
from engine.bundle import Bundle, import_registry, load_bundle
from engine.testing import TOKEN, Chatter, RecordingSession
from storage import Database, SQLiteStorage


def hand_written(bundle: Bundle, db: Database) -> Dispatcher:
    """What a developer would write by hand for the same two screens, on the same storage."""
    dispatcher = Dispatcher(storage=SQLiteStorage(db), events_isolation=SimpleEventIsolation())
    texts, keyboards = bundle.product.texts, bundle.renderer.fixed

    @dispatcher.message(CommandStart())
    async def start(message: Message, state: FSMContext) -> None:
        await state.set_state("main")
        await state.set_data({})
        name = message.from_user.first_name if message.from_user else ""
        text = texts.render("welcome", {"name": name})
        await message.answer(text, reply_markup=keyboards["main"], parse_mode=ParseMode.HTML)

    @dispatcher.callback_query(F.data == "flow:support")
    async def support(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
        await query.answer()
        if await state.get_state() != "main":
            return
        await state.set_state("support.ask")
        assert isinstance(query.message, Message)
        await bot.edit_message_text(
            text=texts.render("support.ask", {"limit": 2000}),
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            reply_markup=keyboards["support_ask"],
            parse_mode=ParseMode.HTML,
        )

    return dispatcher


async def measure(dispatcher: Dispatcher, updates: list[Update]) -> float:
    bot = Bot(TOKEN, session=RecordingSession())
    started = time.perf_counter()
    for update in updates:
        await dispatcher.feed_update(bot, update)
    return len(updates) / (time.perf_counter() - started)


def workload(users: int, first_id: int, offset: int) -> tuple[list[Update], list[Update]]:
    starts, presses = [], []
    for index in range(users):
        user = User(id=first_id + index, is_bot=False, first_name=f"User{index}")
        chatter = Chatter(Dispatcher(), Bot(TOKEN, session=RecordingSession()), user)
        chatter.update_ids = iter(range(offset + index * 10, offset + index * 10 + 10))  # type: ignore[assignment]
        starts.append(chatter.text_update("/start"))
        presses.append(chatter.press_update("flow:support", message_id=1000))
    return starts, presses


async def run(users: int, rounds: int) -> None:
    registry, root = import_registry("flows")
    bundle = load_bundle(root, registry)
    folder = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    results: dict[str, list[float]] = {}
    for round_ in range(rounds):
        for name, build in (("hand-written", hand_written), ("engine", build_dispatcher)):
            db = await Database.open(folder / f"{name}-{round_}.sqlite3")
            builder: Callable[[Bundle, Database], Dispatcher] = build  # type: ignore[assignment]
            dispatcher = builder(bundle, db)
            starts, presses = workload(users, 10_000 * (round_ + 1), 1_000_000 * (round_ + 1))
            try:
                results.setdefault(f"{name} /start", []).append(await measure(dispatcher, starts))
                results.setdefault(f"{name} button", []).append(await measure(dispatcher, presses))
            finally:
                await db.close()  # its worker thread would otherwise keep the process alive after an error
    print(f"{users} distinct users, {rounds} rounds, median updates/s (SQLite file in {folder})")
    for scenario in ("/start", "button"):
        engine = statistics.median(results[f"engine {scenario}"])
        baseline = statistics.median(results[f"hand-written {scenario}"])
        print(f"  {scenario:7}  hand-written {baseline:8.0f}/s  engine {engine:8.0f}/s  ratio {engine / baseline:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.users, args.rounds))


if __name__ == "__main__":
    main()
