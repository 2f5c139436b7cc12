"""The engine's named loggers, in one place (as aiogram keeps `aiogram.event`, `aiogram.dispatcher`)."""

import logging

update = logging.getLogger("engine.update")
dedupe = logging.getLogger("engine.dedupe")
lint = logging.getLogger("engine.lint")
run = logging.getLogger("engine.run")
