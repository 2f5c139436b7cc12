"""The chat page in headless Chromium (Debian's, driven over the DevTools protocol with aiohttp's
WebSocket client — no extra package): load it, press a menu button, see the bot's answer, keep a screenshot.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import tempfile
from typing import Any

import aiohttp
import pytest

from tests.conftest import ROOT
from tests.playground.conftest import Live

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "artifacts"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs Debian's)")


class Page:
    """One browser tab over the DevTools protocol."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.events: list[str] = []  # events that arrived while waiting for an answer

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self.ids)
        await self.socket.send_json({"id": message_id, "method": method, "params": params})
        async for message in self.socket:
            data = json.loads(message.data)
            if data.get("id") == message_id:
                assert "error" not in data, data
                return dict(data.get("result", {}))
            if "method" in data:
                self.events.append(data["method"])
        raise AssertionError("the browser closed the connection")

    async def event(self, name: str) -> None:
        """Wait for a DevTools event (say, the page's load), counting one that already came."""
        if name in self.events:
            self.events.remove(name)
            return
        async for message in self.socket:
            if json.loads(message.data).get("method") == name:
                return
        raise AssertionError("the browser closed the connection")

    async def until(self, script: str, timeout_ms: int = 20000) -> Any:
        """Evaluate `script` in the page each time the DOM changes, until it is truthy (a MutationObserver)."""
        waiting = f"""new Promise((resolve, reject) => {{
            const check = () => {{ const v = ({script}); if (v) {{ observer.disconnect(); resolve(v); }} }};
            const observer = new MutationObserver(check);
            observer.observe(document.documentElement, {{childList: true, subtree: true, characterData: true}});
            setTimeout(() => reject(new Error("timed out: " + {json.dumps(script)})), {timeout_ms});
            check();
        }})"""
        result = await self.call("Runtime.evaluate", expression=waiting, awaitPromise=True, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")


async def test_the_chat_page_shows_the_bot_and_its_buttons_work(live: Live) -> None:
    assert CHROMIUM is not None
    profile = tempfile.mkdtemp(prefix="studio-chromium-")
    browser = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        "--window-size=900,900",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert browser.stderr is not None
    try:
        line = ""
        while "DevTools listening on" not in line:
            line = (await asyncio.wait_for(browser.stderr.readline(), 30)).decode()
            assert line, "Chromium exited before opening DevTools"
        port = line.split("127.0.0.1:")[1].split("/")[0]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as answer:
                target = next(t for t in await answer.json() if t["type"] == "page")
            async with session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as socket:
                page = Page(socket)
                await page.call("Page.enable")
                await page.call("Page.navigate", url=f"{live.url}/?users={live.user['id']}")
                await page.event("Page.loadEventFired")
                await page.until("document.querySelector('form.input input[type=text]')")
                # Type /start the way a person does: into the box, then send.
                await page.call(
                    "Runtime.evaluate",
                    expression="""(() => { const f = document.querySelector('form.input');
                        f.querySelector('input[type=text]').value = '/start'; f.requestSubmit(); })()""",
                )
                await page.until(
                    "[...document.querySelectorAll('.msg')].some(m => m.textContent.includes('добро пожаловать'))"
                )
                free = "[...document.querySelectorAll('.kb button')].find(b => b.textContent === '🔥 Бесплатные')"
                await page.until(free)
                await page.call("Runtime.evaluate", expression=f"{free}.click()")
                bold = "[...document.querySelectorAll('.msg b')].map(b => b.textContent)"
                header = await page.until(f"{bold}.find(t => t.includes('Бесплатные'))")
                assert header == "🔥 Бесплатные"
                shot = await page.call("Page.captureScreenshot", format="png")
                ARTIFACTS.mkdir(exist_ok=True)
                (ARTIFACTS / "playground-chat.png").write_bytes(base64.b64decode(shot["data"]))
        assert (ARTIFACTS / "playground-chat.png").stat().st_size > 1000
    finally:
        browser.kill()
        await browser.wait()
        shutil.rmtree(profile, ignore_errors=True)
