"""Start the playground next to the bot: what `studio-bot run` does when there is no BOT_TOKEN."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from playground.server import Playground


async def start(host: str = "127.0.0.1", port: int = 8088) -> tuple[str, str, Callable[[], Awaitable[None]]]:
    """Serve the playground; returns its base URL, the bot token it accepts, and how to stop it."""
    playground = Playground()
    runner = web.AppRunner(playground.app())
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1] if site._server is not None else port  # type: ignore[union-attr]
    return f"http://{host}:{bound}", playground.token, runner.cleanup
