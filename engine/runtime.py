"""Drives the compiled machine from aiogram: state → trigger → guards/actions → render → send → persist."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from aiogram import Bot, Router
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, PreCheckoutQuery, Update, User

from engine import loggers
from engine.bundle import Bundle
from engine.render import View
from engine.spec import PAYLOAD_SEPARATOR
from engine.turn import Turn


def message_trigger(message: Message) -> str:
    """The trigger a non-command message fires; flows accept input by naming it."""
    if message.text is not None:
        return "message.text"
    if message.photo:
        return "message.photo"
    if message.document is not None:
        return "message.document"
    if message.successful_payment is not None:
        return "message.payment"
    return "message.other"


def parse_command(text: str) -> str | None:
    """'/Help@studio_bot args' → 'help'; None when the text is not a command."""
    if not text.startswith("/") or len(text) < 2:
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()


def _update_id(update: Update | None) -> int:
    return update.update_id if update is not None else 0


class Engine:
    """Interprets the bundle's graph for every message and callback query aiogram hands it."""

    def __init__(self, bundle: Bundle, services: Mapping[str, Any] | None = None) -> None:
        self.use(bundle)
        self.services: Mapping[str, Any] = services or {}

    def use(self, bundle: Bundle) -> None:
        """Interpret this bundle from the next update on (`--reload` swaps in a re-read product)."""
        self.bundle = bundle
        self.graph = bundle.graph
        self.renderer = bundle.renderer

    def router(self) -> Router:
        router = Router(name="engine")
        router.message.register(self.on_message)
        router.callback_query.register(self.on_callback)
        if self.bundle.registry.pre_checkout is not None:
            router.pre_checkout_query.register(self.on_pre_checkout)
        return router

    async def on_pre_checkout(self, query: PreCheckoutQuery) -> None:
        """Telegram waits at most 10 seconds for this answer: the product's check, then ok or its reason."""
        check = self.bundle.registry.pre_checkout
        assert check is not None
        try:
            refusal = await check(query, self.services)
        except Exception:
            loggers.update.exception("pre-checkout check failed for user %s", query.from_user.id)
            refusal = "engine.failure"
        if refusal is None:
            await query.answer(ok=True)
        else:
            await query.answer(ok=False, error_message=self.renderer.popup(refusal, {}))

    # -- aiogram handlers --------------------------------------------------------------------------

    async def on_message(self, message: Message, state: FSMContext, bot: Bot, event_update: Update) -> None:
        user = message.from_user
        if user is None:  # channel posts and the like: nobody to talk to
            return
        turn, before = await self._restore(user, state, message=message, bot=bot)
        command = parse_command(message.text or "")
        if command == "start":
            await self._reset(turn, state, bot, message.chat.id, event_update, "/start")
            return
        if command is not None:
            trigger = self.graph.commands.get(command)
            turn.text = message.text  # a command's arguments, for its actions
            if trigger is not None and not await self._allowed(command, turn):
                trigger = None  # an admin command, say: to anyone else it does not exist
            if trigger is None:
                turn.notify("engine.unknown_command", command=command)
        else:
            trigger = message_trigger(message)
            turn.text = message.text
        if before is None:
            await self._reset(turn, state, bot, message.chat.id, event_update, trigger or "/" + str(command))
            return
        if trigger is not None and trigger not in self.graph.triggers[turn.state]:
            turn.notify("engine.unexpected_input")
            trigger = None
        if trigger is not None:
            await self._fire(turn, trigger)
        if turn.toast is not None:
            key, values, _ = turn.toast
            turn.notices.append((key, values))
        await self._show(turn, bot, message.chat.id, edit=None)
        await self._persist(turn, state, before)
        self._log(event_update, user, trigger or "(refused)", before, turn.state)

    async def on_callback(self, query: CallbackQuery, state: FSMContext, bot: Bot, event_update: Update) -> None:
        turn, before = await self._restore(query.from_user, state, bot=bot)
        trigger, _, payload = (query.data or "").partition(PAYLOAD_SEPARATOR)
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        editable = query.message if isinstance(query.message, Message) else None
        if before is None:
            await query.answer(self.renderer.popup("engine.state_reset", {}))
            await self._reset(turn, state, bot, chat_id, event_update, trigger)
            return
        if trigger not in self.graph.button_triggers or (payload and trigger not in self.graph.payload_triggers):
            refusal = "engine.unknown_button"
        elif trigger not in self.graph.triggers[turn.state]:
            refusal = "engine.stale_button"
        else:
            refusal = None
        if refusal is not None:
            # A short answer on the button, and the screen the user is really on, at the bottom.
            await query.answer(self.renderer.popup(refusal, {}))
            await self._show(turn, bot, chat_id, edit=None)
            self._log(event_update, query.from_user, f"{trigger!r} ({refusal})", before, turn.state)
            return
        turn.payload = payload or None
        turn.message = editable
        await self._fire(turn, trigger)
        if turn.toast is None:
            await query.answer()
        else:
            key, values, alert = turn.toast
            await query.answer(self.renderer.popup(key, values), show_alert=alert)
        await self._show(turn, bot, chat_id, edit=editable)
        await self._persist(turn, state, before)
        self._log(event_update, query.from_user, trigger, before, turn.state)

    # -- the steps ---------------------------------------------------------------------------------

    async def _allowed(self, command: str, turn: Turn) -> bool:
        for guard in self.graph.command_guards.get(command, ()):
            if not await self.bundle.registry.guards[guard](turn):
                return False
        return True

    async def _restore(
        self, user: User, state: FSMContext, message: Message | None = None, bot: Bot | None = None
    ) -> tuple[Turn, str | None]:
        """The user's Turn; `before` is None when the stored state is missing from the graph."""
        stored = await state.get_state()
        name = stored if stored is not None else self.graph.start
        data = await state.get_data()
        turn = Turn(name, data, user, self.services, message=message, bot=bot)
        # What was stored, to write back only what the turn changed.
        turn.stored_data = copy.deepcopy(data)
        return turn, (name if name in self.graph.states else None)

    async def _fire(self, turn: Turn, trigger: str) -> None:
        state = turn.state
        turn.trigger = trigger
        try:
            await self.bundle.machine.events[trigger].trigger(turn)
        except Exception:
            # The user sees an apology and the screen they were on; nothing half-done is stored.
            loggers.update.exception("trigger %s failed in state %s for user %s", trigger, state, turn.user.id)
            # turn.data was the stored data until the trigger fired; nested values may have changed since.
            turn.state, turn.data = state, copy.deepcopy(turn.stored_data)
            turn.notices = [("engine.failure", {})]
            turn.toast = None

    async def _reset(
        self, turn: Turn, state: FSMContext, bot: Bot, chat_id: int, update: Update | None, trigger: str
    ) -> None:
        before = turn.state
        if trigger == "/start":
            await self._run_reset_actions(turn)
        else:
            turn.notices.insert(0, ("engine.state_reset", {}))
        turn.state, turn.data = self.graph.start, {}
        await self._show(turn, bot, chat_id, edit=None)
        await state.set_state(turn.state)
        await state.set_data({})
        self._log(update, turn.user, trigger, before, turn.state)

    async def _run_reset_actions(self, turn: Turn) -> None:
        for name in self.graph.reset_actions:
            try:
                await self.bundle.registry.actions[name](turn)
            except Exception:
                # /start is the way out of every trouble: it must work even when an action does not.
                loggers.update.exception("reset action %s failed for user %s", name, turn.user.id)

    async def _show(self, turn: Turn, bot: Bot, chat_id: int, edit: Message | None) -> None:
        for key, values in turn.notices:
            await bot.send_message(chat_id, self.renderer.notice(key, values), parse_mode=ParseMode.HTML)
        view = await self.renderer.render(self.graph.states[turn.state].screen, turn)
        # Edit in place only when nothing was said in between: otherwise the screen would sit above the notice.
        if edit is not None and not turn.notices and await self._edit(bot, edit, view):
            return
        await bot.send_message(chat_id, view.text, reply_markup=view.keyboard, parse_mode=ParseMode.HTML)

    @staticmethod
    async def _edit(bot: Bot, message: Message, view: View) -> bool:
        """Edit the pressed message; False when Telegram will not, so the caller sends a new one."""
        try:
            await bot.edit_message_text(
                text=view.text,
                chat_id=message.chat.id,
                message_id=message.message_id,
                reply_markup=view.keyboard,
                parse_mode=ParseMode.HTML,
            )
        except TelegramBadRequest as err:
            if "message is not modified" in err.message:
                return True  # the user pressed the button of the screen they are on: nothing to do
            loggers.update.info("cannot edit message %s (%s); sending a new one", message.message_id, err.message)
            return False
        return True

    @staticmethod
    async def _persist(turn: Turn, state: FSMContext, before: str | None) -> None:
        if turn.state != before:
            await state.set_state(turn.state)
        if turn.data != turn.stored_data:
            await state.set_data(turn.data)

    @staticmethod
    def _log(update: Update | None, user: User, trigger: str, before: str | None, after: str) -> None:
        loggers.update.info(
            "update=%d user=%d trigger=%s state: %s -> %s", _update_id(update), user.id, trigger, before, after
        )
