"""The engine's named loggers, in one place (as aiogram keeps `aiogram.event`, `aiogram.dispatcher`)."""

import logging

update = logging.getLogger("engine.update")
dedupe = logging.getLogger("engine.dedupe")
run = logging.getLogger("engine.run")
