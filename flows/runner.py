"""The job runner: takes confirmed jobs to the provider and back to the user, exactly once, across restarts.

One asyncio task keeps a heap of (when, job) and wakes for the earliest; due steps run with bounded
concurrency. There is no sleeping task per job, and no busy loop. Every step reads the job from SQLite
and moves it with a compare-and-set, so a step repeated after a restart, or doubled by a callback,
does nothing twice. Failures and timeouts are refunded exactly once (`refund_job`) and the lock released.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest

from engine.texts import Texts
from flows.billing import refund_job
from flows.catalog import Catalog, Model
from flows.delivery import deliver, fetch_results
from flows.money import rubles
from providers.chat import ChatClient
from providers.errors import Cause, ProviderError, mentions_moderation
from providers.kie import KieClient, TaskStatus
from storage import Database, Job, JobLocks, Jobs

log = logging.getLogger("flows.runner")

STATUS_TEXTS = tuple(f"status.{s}" for s in ("sending", "waiting", "queuing", "generating", "done", "failed"))
FAILURE_TEXTS = (*(f"failure.{cause.value}" for cause in Cause), "failure.refund", "failure.refund_free")
RESULT_TEXTS = ("result.caption", "result.text_head", "result.done", "result.links", "btn.repeat", "btn.to_menu")

IMAGE_TYPES = ("image", "images")
SETTLED = ("delivered", "failed", "timed_out")


@dataclass
class RunnerSettings:
    # Kie's advice: every 2-3 s for the first 30 s, then 5-10 s, then 15-30 s after two minutes.
    poll_schedule: tuple[tuple[float, float], ...] = ((30, 2.5), (120, 7.5), (float("inf"), 20.0))
    timeout: float = 15 * 60  # seconds from submission to giving up
    concurrency: int = 32  # steps running at once
    status_every: float = 10.0  # at most one status edit per job this often (Telegram rate limits)
    submit_attempts: int = 3  # tries to start a task when the provider is down
    retry_delay: float = 10.0  # seconds between those tries
    callback_url: str | None = None  # where Kie posts results; None: poll only

    def interval(self, elapsed: float) -> float:
        return next(interval for until, interval in self.poll_schedule if elapsed < until)


@dataclass
class JobRunner:
    db: Database
    catalog: Catalog
    texts: Texts
    settings: RunnerSettings = field(default_factory=RunnerSettings)
    bot: Bot | None = None
    kie: KieClient | None = None
    chat: ChatClient | None = None
    _heap: list[tuple[float, int, int]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _busy: set[int] = field(default_factory=set)  # jobs with a step running now
    _steps: set[asyncio.Task[None]] = field(default_factory=set)
    _loop_task: asyncio.Task[None] | None = None
    _semaphore: asyncio.Semaphore | None = None
    _last_status: dict[int, tuple[float, str]] = field(default_factory=dict)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    # -- life --------------------------------------------------------------------------------------------

    async def start(self, bot: Bot, kie: KieClient, chat: ChatClient | None) -> None:
        """Attach to the bot and providers and resume every job a previous run left unfinished."""
        self.bot, self.kie, self.chat = bot, kie, chat
        self._semaphore = asyncio.Semaphore(self.settings.concurrency)
        unfinished = await Jobs(self.db).unfinished()
        for job in unfinished:
            self.schedule(job.id, 0)
        if unfinished:
            log.info("resuming %d unfinished job(s)", len(unfinished))
        self._loop_task = asyncio.get_running_loop().create_task(self._loop(), name="job-runner")

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        for step in list(self._steps):
            step.cancel()
        await asyncio.gather(*self._steps, return_exceptions=True)

    async def submit(self, job_id: int) -> None:
        """A job was just confirmed and paid for: take it to the provider now."""
        self.schedule(job_id, 0)

    async def on_callback(self, task_id: str) -> bool:
        """Kie says a task changed: look at it now (a duplicate callback finds nothing left to do)."""
        job = await Jobs(self.db).by_task(task_id)
        if job is None:
            return False
        self.schedule(job.id, 0)
        return True

    async def redeliver(self, job: Job) -> None:
        """My projects: get the result again: the same files, no change of state, no charge."""
        assert self.bot is not None and self.kie is not None
        results, links = await fetch_results(self.kie, job.result_urls)
        await deliver(self.bot, self.texts, job, self.catalog.models.get(job.model_id), results, links)

    def schedule(self, job_id: int, delay: float) -> None:
        heapq.heappush(self._heap, (time.monotonic() + delay, next(self._order), job_id))
        self._wake.set()

    async def settled(self, job_id: int) -> Job:
        """Wait until the job is delivered, or failed and refunded (for tests and tools)."""
        return await self.wait_for(job_id, _is_settled)

    async def wait_for(self, job_id: int, condition: Callable[[Job], bool]) -> Job:
        """Wait, without polling, until a step leaves the job in a state `condition` accepts."""
        async with self._changed:
            while True:
                job = await Jobs(self.db).get(job_id)
                assert job is not None, f"no job {job_id}"
                if condition(job):
                    return job
                await self._changed.wait()

    # -- the loop ------------------------------------------------------------------------------------------

    async def _loop(self) -> None:
        assert self._semaphore is not None
        while True:
            if not self._heap:
                self._wake.clear()
                await self._wake.wait()
                continue
            due, _, job_id = self._heap[0]
            delay = due - time.monotonic()
            if delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                continue
            heapq.heappop(self._heap)
            if job_id in self._busy:
                continue  # its running step schedules what comes next

            await self._semaphore.acquire()
            self._busy.add(job_id)
            step = asyncio.get_running_loop().create_task(self._run_step(job_id))
            self._steps.add(step)
            step.add_done_callback(self._steps.discard)

    async def _run_step(self, job_id: int) -> None:
        assert self._semaphore is not None
        try:
            await self._step(job_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug or an unexpected answer: look again later rather than lose a paid job.
            log.exception("step of job %d failed; retrying in %.0f s", job_id, self.settings.retry_delay)
            self.schedule(job_id, self.settings.retry_delay)
        finally:
            self._busy.discard(job_id)
            self._semaphore.release()
            async with self._changed:
                self._changed.notify_all()

    async def _step(self, job_id: int) -> None:
        job = await Jobs(self.db).get(job_id)
        if job is None:
            return
        model = self.catalog.models.get(job.model_id)  # even if switched off since: it is paid for
        if job.state == "created":
            await self._submit(job, model)
        elif job.state in ("submitted", "running"):
            await self._poll(job, model)
        elif job.state == "succeeded":
            await self._deliver(job, model)
        elif job.state in ("failed", "timed_out") and not job.refunded:
            await self._give_back(job, model)

    # -- steps ---------------------------------------------------------------------------------------------

    async def _submit(self, job: Job, model: Model | None) -> None:
        if model is None:
            await self._fail(job, model, Cause.BAD_INPUT, f"model {job.model_id} is not in the catalog")
            return
        await self._status(job, model, "status.sending", force=True)
        try:
            if model.provider == "chat":
                if self.chat is None:
                    raise ProviderError(Cause.PROVIDER_DOWN, "no chat-completions endpoint configured", transient=False)
                text = await self.chat.complete(model.chat_model or "", model.system or "", _prompt_of(job))
                if await Jobs(self.db).advance(
                    job.id, ("created",), "succeeded", result_text=text, submitted_at=int(time.time())
                ):
                    self.schedule(job.id, 0)
                return
            assert self.kie is not None
            inputs = await self._provider_inputs(job, model)
            task_id = await self.kie.create(model.provider, model.id, inputs, self.settings.callback_url)
        except ProviderError as err:
            await self._provider_trouble(job, model, err, submitting=True)
            return
        if await Jobs(self.db).advance(
            job.id, ("created",), "submitted", provider_task_id=task_id, submitted_at=int(time.time())
        ):
            log.info("job %d submitted as Kie task %s", job.id, task_id)
            self.schedule(job.id, self.settings.interval(0))

    async def _provider_inputs(self, job: Job, model: Model) -> dict[str, Any]:
        """The job's inputs as Kie takes them: the user's photos moved to Kie's file host first.

        The bot downloads through the Bot API and uploads the bytes: a Telegram file URL carries the
        bot token, so it never leaves the bot.
        """
        assert self.bot is not None and self.kie is not None
        inputs = dict(job.inputs)
        for f in model.fields:
            if f.type not in IMAGE_TYPES or f.name not in inputs:
                continue
            files = inputs[f.name] if f.type == "images" else [inputs[f.name]]
            urls = []
            for file in files:
                telegram_file = await self.bot.get_file(file["file_id"])
                content = await self.bot.download_file(telegram_file.file_path or "")
                assert content is not None
                name = (telegram_file.file_path or "photo.jpg").rsplit("/", 1)[-1]
                urls.append(await self.kie.upload(content.read(), name, "image/jpeg"))
            inputs[f.name] = urls if f.type == "images" else urls[0]
        return inputs

    async def _poll(self, job: Job, model: Model | None) -> None:
        assert self.kie is not None
        elapsed = time.time() - (job.submitted_at or job.created_at)
        if elapsed > self.settings.timeout:
            if await Jobs(self.db).advance(job.id, ("submitted", "running"), "timed_out", error_cause=Cause.TIMEOUT):
                await self._give_back(await self._reload(job), model)
            return
        family = model.provider if model else "kie"
        try:
            status = await self.kie.status(family, job.provider_task_id or "")
        except ProviderError as err:
            await self._provider_trouble(job, model, err, submitting=False)
            return
        if status.state == "success":
            if await Jobs(self.db).advance(
                job.id, ("submitted", "running"), "succeeded", result_urls=status.urls, finished_at=int(time.time())
            ):
                self.schedule(job.id, 0)
            return
        if status.state == "fail":
            await self._fail(job, model, _cause_of(status), status.fail_message)
            return
        if job.state == "submitted" and status.state in ("queuing", "generating"):
            await Jobs(self.db).advance(job.id, ("submitted",), "running")
        await self._status(job, model, f"status.{status.state}", elapsed=elapsed)
        self.schedule(job.id, self.settings.interval(elapsed))

    async def _deliver(self, job: Job, model: Model | None) -> None:
        assert self.bot is not None and self.kie is not None
        try:
            results, links = await fetch_results(self.kie, job.result_urls)
        except ProviderError as err:
            log.warning("job %d: cannot fetch its results (%s); retrying", job.id, err)
            self.schedule(job.id, self.settings.retry_delay)
            return
        await deliver(self.bot, self.texts, job, model, results, links)
        if await Jobs(self.db).advance(job.id, ("succeeded",), "delivered", finished_at=int(time.time())):
            await self._status(job, model, "status.done", force=True)
            await JobLocks(self.db).release(job.user_id, job.id)
            log.info("job %d delivered", job.id)

    async def _provider_trouble(self, job: Job, model: Model | None, err: ProviderError, *, submitting: bool) -> None:
        """The client already retried a transient error; retry the step later, or give up on a final one."""
        attempts = job.attempts + 1
        await Jobs(self.db).note(job.id, attempts=attempts)
        if err.transient and (not submitting or attempts < self.settings.submit_attempts):
            log.warning("job %d: %s; trying again in %.0f s", job.id, err, self.settings.retry_delay)
            self.schedule(job.id, self.settings.retry_delay)
            return
        await self._fail(job, model, err.cause, err.message)

    async def _fail(self, job: Job, model: Model | None, cause: Cause, message: str) -> None:
        log.info("job %d failed: %s (%s)", job.id, cause.value, message)
        if await Jobs(self.db).advance(
            job.id, ("created", "submitted", "running"), "failed", error_cause=cause.value, finished_at=int(time.time())
        ):
            await self._give_back(await self._reload(job), model)

    async def _give_back(self, job: Job, model: Model | None) -> None:
        """Refund (once), release the lock, and tell the user why and what to do."""
        if not await refund_job(self.db, job.id):
            return  # refunded before: the user was told then
        cause = job.error_cause or Cause.UNKNOWN
        key = f"failure.{cause}" if f"failure.{cause}" in FAILURE_TEXTS else "failure.unknown"
        refund = "failure.refund_free" if job.free else "failure.refund"
        await self._status(job, model, "status.failed", force=True)
        await self._send(job, key, {"model": model.title if model else job.model_id, "job": job.id}, extra=refund)

    # -- talking to the user -------------------------------------------------------------------------------

    async def _reload(self, job: Job) -> Job:
        fresh = await Jobs(self.db).get(job.id)
        assert fresh is not None
        return fresh

    async def _send(self, job: Job, key: str, values: dict[str, Any], extra: str) -> None:
        assert self.bot is not None
        text = self.texts.render(key, values) + "\n\n" + self.texts.render(extra, {"amount": rubles(job.price)})
        try:
            await self.bot.send_message(job.chat_id or job.user_id, text, parse_mode=ParseMode.HTML)
        except TelegramAPIError as err:  # the user blocked the bot: the refund stands anyway
            log.warning("job %d: cannot tell the user (%s)", job.id, err)

    async def _status(
        self, job: Job, model: Model | None, key: str, *, elapsed: float = 0, force: bool = False
    ) -> None:
        """Send or edit the job's status message, at most once per `status_every` unless forced."""
        if self.bot is None:
            return
        values = {"job": job.id, "model": model.title if model else job.model_id, "elapsed": _clock(elapsed)}
        text = self.texts.render(key, values)
        last = self._last_status.get(job.id)
        now = time.monotonic()
        if last is not None and (last[1] == text or (not force and now - last[0] < self.settings.status_every)):
            return
        self._last_status[job.id] = (now, text)
        if key in ("status.done", "status.failed"):
            self._last_status.pop(job.id, None)
        chat_id = job.chat_id or job.user_id
        try:
            if job.status_message_id is None:
                sent = await self.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
                await Jobs(self.db).note(job.id, status_message_id=sent.message_id)
            else:
                await self.bot.edit_message_text(
                    text=text, chat_id=chat_id, message_id=job.status_message_id, parse_mode=ParseMode.HTML
                )
        except TelegramBadRequest as err:
            if "message is not modified" not in err.message:
                log.info("job %d: status message not updated (%s)", job.id, err.message)
        except TelegramAPIError as err:
            log.info("job %d: status message not sent (%s)", job.id, err)


def _is_settled(job: Job) -> bool:
    return job.state == "delivered" or (job.state in ("failed", "timed_out") and job.refunded)


def _cause_of(status: TaskStatus) -> Cause:
    return Cause.MODERATION if mentions_moderation(status.fail_message) else Cause.UNKNOWN


def _prompt_of(job: Job) -> str:
    extras = [f"{name}: {value}" for name, value in job.inputs.items() if name != "prompt"]
    return "\n".join([str(job.inputs.get("prompt", "")), *extras]).strip()


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"
