"""Start the playground next to the bot: what `studio-bot run` does when there is no BOT_TOKEN."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from playground.server import Playground


@dataclass(frozen=True)
class Running:
    url: str  # the Bot API base for TELEGRAM_API_URL, and the chat page at /
    token: str  # the token the playground accepts
    stop: Callable[[], Awaitable[None]]
    announce: Callable[[str], Awaitable[None]]  # a line on the chat page (say, YAML problems after --reload)
    playground: Playground


async def start(host: str = "127.0.0.1", port: int = 8088, playground: Playground | None = None) -> Running:
    """Serve a playground (a new one unless given) on host:port; port 0 takes any free one."""
    playground = playground or Playground()
    runner = web.AppRunner(playground.app())
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1] if site._server is not None else port  # type: ignore[union-attr]
    return Running(f"http://{host}:{bound}", playground.token, runner.cleanup, playground.announce, playground)
