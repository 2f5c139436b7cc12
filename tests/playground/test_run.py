"""The README's first command: `studio-bot run` with no token starts the playground, the bot attached to it,
the fake Kie.ai and the SQLite file, and prints the page's address."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_run_without_a_token_opens_the_playground(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "KIE_API_KEY", "TELEGRAM_API_URL")}
    env |= {"PLAYGROUND_PORT": str(_free_port()), "DATABASE_PATH": str(tmp_path / "studio.sqlite3")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "engine.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        line = ""
        while "Open http" not in line:
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            assert line, "studio-bot run ended before printing the page's address"
        url = re.search(r"http://\S+?/", line)
        assert url is not None, line
        async with aiohttp.ClientSession() as session:
            async with session.get(url.group(0)) as page:
                assert page.status == 200 and "<title>AI Studio" in await page.text()
            await session.post(f"{url.group(0)}ui/send", json={"user": 1, "name": "Ann", "text": "/start"})
            version, texts = -1, []
            for _ in range(30):  # each call waits up to 2 s for the chat to change: no sleeping
                async with session.get(
                    f"{url.group(0)}ui/chat", params={"user": 1, "version": version, "wait": 2}
                ) as r:
                    state = await r.json()
                version, texts = state["version"], [m.get("text", "") for m in state["messages"]]
                if any("добро пожаловать" in t for t in texts):
                    break
            assert any("Ann, добро пожаловать в AI Studio" in t for t in texts), texts
        assert (tmp_path / "studio.sqlite3").exists()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()
