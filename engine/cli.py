"""`studio-bot`: run the bot, lint the product's YAML, draw its flow graph."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
from dataclasses import replace
from pathlib import Path

from engine import loggers
from engine.bundle import Bundle, ProductError, check, import_registry, load_bundle
from engine.config import ConfigError, Settings, load_settings
from engine.diagram import mermaid


def _fail(message: str) -> int:
    print(f"studio-bot: {message}", file=sys.stderr)
    return 2


def lint(app: str, root_override: Path | None) -> int:
    try:
        registry, root = import_registry(app)
    except ProductError as err:
        print(err, file=sys.stderr)
        return 1
    root = root_override or root
    problems = check(root, registry).problems
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {root}", file=sys.stderr)
        return 1
    print(f"ok: {root} (menus.yaml, texts.ru.yaml, flows/*.yaml)")
    return 0


def graph(app: str, output: Path) -> int:
    try:
        registry, root = import_registry(app)
        bundle = load_bundle(root, registry)
    except ProductError as err:
        print(err, file=sys.stderr)
        return 1
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(mermaid(bundle.graph), encoding="utf-8")
    print(f"wrote {output} ({len(bundle.graph.states)} states, {len(bundle.graph.transitions)} transitions)")
    return 0


def run(reload: bool = False) -> int:
    from engine.serve import serve  # aiohttp and the Bot are needed only to run

    try:
        settings = load_settings()
    except ConfigError as err:
        return _fail(str(err))
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        registry, root = import_registry(settings.app)
        bundle = load_bundle(root, registry)
    except ProductError as err:
        print(err, file=sys.stderr)
        return _fail("the product's files have problems (above); the bot was not started")
    try:
        if settings.bot_token is None:
            asyncio.run(_offline(settings, bundle, reload))
        else:
            asyncio.run(serve(settings, bundle, reload=reload))
    except KeyboardInterrupt:
        loggers.run.info("stopped")
    except OSError as err:
        return _fail(f"cannot start: {err}")
    return 0


async def _offline(settings: Settings, bundle: Bundle, reload: bool) -> None:
    """No token: start a local Telegram (the playground package, loaded by name) and attach the bot to it."""
    from engine.serve import serve

    playground = importlib.import_module(f"{settings.playground}.run")
    local = await playground.start(settings.playground_host, settings.playground_port)
    print(f"No BOT_TOKEN: the bot runs in the local playground. Open {local.url}/ in a browser.", flush=True)
    try:
        offline = replace(settings, bot_token=local.token, telegram_api_url=local.url, webhook_url=None)
        await serve(offline, bundle, reload=reload, report=local.announce)
    finally:
        await local.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="studio-bot", description="AI Studio bot: a declarative Telegram bot.")
    parser.add_argument("--app", default="flows", help="the product package (default: flows)")
    parser.add_argument(
        "--root", type=Path, help="read the YAML from this folder instead of the one beside the package"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    running = commands.add_parser(
        "run", help="start the bot (long polling, a webhook when WEBHOOK_URL is set, the playground without BOT_TOKEN)"
    )
    running.add_argument("--reload", action="store_true", help="pick up edits of the YAML files without a restart")
    commands.add_parser("lint", help="check menus.yaml, texts.ru.yaml and flows/*.yaml; print file:line: problem")
    drawing = commands.add_parser("graph", help="write the flow graph as a Mermaid diagram")
    drawing.add_argument("-o", "--output", type=Path, default=Path("docs/flows.mmd"))
    args = parser.parse_args(argv)
    if args.command == "lint":
        return lint(args.app, args.root)
    if args.command == "graph":
        return graph(args.app, args.output)
    return run(reload=args.reload)


if __name__ == "__main__":
    sys.exit(main())
