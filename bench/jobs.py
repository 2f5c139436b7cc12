"""1,000 concurrent jobs through the runner against the fake Kie server, in another process, with seconds
of latency per task: event loop lag (p50/p99) and memory, next to the same loop idle (the baseline).

    .venv/bin/python -m bench.jobs --jobs 1000 --latency 1,1,3
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiogram import Bot

from engine.bundle import import_registry, load_bundle
from engine.testing import TOKEN, RecordingSession
from flows.billing import launch
from flows.runner import JobRunner, RunnerSettings
from providers.kie import KieClient
from storage import Database, Ledger

TICK = 0.01  # the lag probe asks to wake every 10 ms


async def probe(lags: list[float], stop: asyncio.Event) -> None:
    """How late the loop wakes a task that sleeps TICK: what a user's update would wait on top of its own work."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(TICK)
        lags.append(max(0.0, time.perf_counter() - started - TICK))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run(count: int, latency: str) -> None:
    port = free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "providers.fake_kie", "--port", str(port), "--timings", latency],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdout is not None
    fake.stdout.readline()  # "fake Kie.ai on ..." once it listens
    registry, root = import_registry("flows")
    bundle = load_bundle(root, registry)
    catalog = bundle.data["catalog"]
    db = await Database.open(Path(tempfile.mkdtemp(prefix="studio-jobs-")) / "jobs.sqlite3")
    lags: list[float] = []
    stop = asyncio.Event()

    idle = asyncio.get_running_loop().create_task(probe(lags, stop))
    await asyncio.sleep(2)
    stop.set()
    await idle
    idle_lags, lags = lags, []

    model = catalog.models["google/nano-banana"]
    for user in range(1, count + 1):
        await Ledger(db).post_once(user, 10_000, "grant", f"bench-{user}")
    job_ids = []
    for user in range(1, count + 1):
        result = await launch(db, catalog, user, model, {"prompt": f"bench {user}", "image_size": "1:1"})
        assert result.job_id is not None
        job_ids.append(result.job_id)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
    kie = KieClient(session, "fake-key", f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}")
    bot = Bot(TOKEN, session=RecordingSession())
    runner = JobRunner(db, catalog, bundle.product.texts, RunnerSettings())
    stop = asyncio.Event()
    probing = asyncio.get_running_loop().create_task(probe(lags, stop))
    started = time.perf_counter()
    await runner.start(bot, kie, None)
    for job_id in job_ids:
        await runner.submit(job_id)
    done = await asyncio.gather(*(runner.settled(job_id) for job_id in job_ids))
    elapsed = time.perf_counter() - started
    stop.set()
    await probing
    await runner.stop()
    await session.close()
    await db.close()
    fake.terminate()
    fake.wait()

    delivered = sum(1 for job in done if job.state == "delivered")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{count} jobs, fake Kie latency {latency} s (waiting,queuing,generating), runner concurrency 32")
    print(f"  delivered {delivered}/{count} in {elapsed:.1f} s")
    idle_p50, idle_p99 = percentile(idle_lags, 0.5), percentile(idle_lags, 0.99)
    print(f"  event loop lag, idle loop:   p50 {idle_p50:5.1f} ms  p99 {idle_p99:5.1f} ms")
    print(
        f"  event loop lag, with jobs:   p50 {percentile(lags, 0.5):5.1f} ms  p99 {percentile(lags, 0.99):5.1f} ms"
        f"  max {max(lags) * 1000:5.1f} ms  (goal: p99 < 50 ms)"
    )
    print(f"  peak memory (max RSS) {rss_before:.0f} MB before the runner started, {rss:.0f} MB at the end")
    print(f"  mean lag {statistics.mean(lags) * 1000:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--latency", default="1,1,3", help="the fake's seconds waiting,queuing,generating")
    args = parser.parse_args()
    asyncio.run(run(args.jobs, args.latency))


if __name__ == "__main__":
    main()
