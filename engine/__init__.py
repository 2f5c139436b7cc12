"""A declarative Telegram bot engine: YAML screens, texts and flows compiled into one `transitions` machine."""

from engine.registry import Registry
from engine.turn import Turn

__all__ = ["Registry", "Turn"]
