"""The benchmarks still run (tiny sizes): a bench that rots silently measures nothing."""

from __future__ import annotations

import pytest

from bench import engine as engine_bench
from bench import jobs as jobs_bench


async def test_the_engine_bench_runs(capsys: pytest.CaptureFixture[str]) -> None:
    await engine_bench.run(users=5, rounds=1)
    out = capsys.readouterr().out
    assert "/start" in out and "button" in out and "ratio" in out


async def test_the_jobs_bench_runs(capsys: pytest.CaptureFixture[str]) -> None:
    await jobs_bench.run(count=5, latency="0.01,0.01,0.01")
    out = capsys.readouterr().out
    assert "delivered 5/5" in out and "p99" in out
