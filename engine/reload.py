"""`studio-bot run --reload`: the product's YAML re-read when it changes, without a restart.

A new version replaces the running one only when it passes the whole check; otherwise its problems
are reported (`file:line: message`) and the old version keeps answering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiogram import Dispatcher

from engine import loggers
from engine.bundle import ProductError, load_bundle
from engine.registry import Registry

Report = Callable[[str], Awaitable[None]]


def snapshot(root: Path) -> dict[Path, float]:
    """Every YAML file of the product and when it last changed."""
    files = [*root.glob("*.yaml"), *(root / "flows").glob("*.yaml")]
    return {path: path.stat().st_mtime_ns for path in files if path.is_file()}


class Reloader:
    def __init__(self, root: Path, registry: Registry, dispatcher: Dispatcher, report: Report | None = None) -> None:
        self.root, self.registry, self.dispatcher, self.report = root, registry, dispatcher, report
        self.seen = snapshot(root)
        self.version = 0  # bumped after every look at a change, good or bad; tests wait on `changed`
        self.changed = asyncio.Condition()
        self.problems: list[str] = []

    async def watch(self, interval: float = 1.0) -> None:
        """One task for the whole product: look at the files' times every `interval` seconds."""
        while True:
            await asyncio.sleep(interval)
            await self.check_now()

    async def check_now(self) -> bool:
        """Reload if a file changed; True when a new version is now running."""
        current = snapshot(self.root)
        if current == self.seen:
            return False
        self.seen = current
        try:
            bundle = load_bundle(self.root, self.registry)
        except ProductError as err:
            self.problems = [str(p) for p in err.problems]
            loggers.run.warning("the changed YAML has problems; the previous version keeps running:\n%s", err)
            await self._told("⚠️ " + "\n".join(self.problems[:20]))
            await self._bump()
            return False
        self.problems = []
        self.dispatcher["engine"].use(bundle)
        self.dispatcher["services"].update(bundle.data)
        loggers.run.info("reloaded the product's YAML from %s", self.root)
        await self._told("✅ reloaded")
        await self._bump()
        return True

    async def _told(self, text: str) -> None:
        if self.report is not None:
            await self.report(text)

    async def _bump(self) -> None:
        async with self.changed:
            self.version += 1
            self.changed.notify_all()
