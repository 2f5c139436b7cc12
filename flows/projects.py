"""My projects: the user's jobs, one card each, the result again, the same job repeated.

Every step that names a job checks that it belongs to the user who pressed: a forged callback for
someone else's job gets the same answer as one for a job that does not exist.
"""

from __future__ import annotations

from typing import Any

from engine.registry import Key
from engine.texts import Fragment
from engine.turn import Turn
from flows import registry
from flows.journey import catalog_of, moscow_time, shown_value
from flows.money import rubles
from providers.errors import Cause
from storage import Job, Jobs

PAGE_SIZE = 6
CAUSE_TEXTS = tuple(f"cause.{cause.value}" for cause in Cause)
STATE_TEXTS = tuple(
    f"job_state.{s}" for s in ("created", "submitted", "running", "succeeded", "delivered", "failed", "timed_out")
)


async def owned_job(turn: Turn, payload: str | None) -> Job | None:
    if not payload or not payload.isdigit():
        return None
    job = await Jobs(turn.services["db"]).get(int(payload))
    return job if job is not None and job.user_id == turn.user.id else None


def _title(turn: Turn, job: Job) -> str:
    model = catalog_of(turn).models.get(job.model_id)
    return model.title if model else job.model_id


def _price(job: Job) -> Any:
    return Fragment.of("value.free") if job.free else rubles(job.price)


@registry.action()
async def show_projects(turn: Turn) -> None:
    turn.data["projects_page"] = 0


@registry.action()
async def turn_projects_page(turn: Turn) -> None:
    if turn.payload and turn.payload.isdigit():
        turn.data["projects_page"] = int(turn.payload)


@registry.screen_data(provides=("count",), texts=())
async def projects_view(turn: Turn) -> dict[str, Any]:
    return {"count": await Jobs(turn.services["db"]).count_for_user(turn.user.id)}


@registry.buttons(
    triggers=("open_job", "projects_page"),
    texts=("btn.job_item", "btn.page_prev", "btn.page_next", "btn.page_info", *STATE_TEXTS, "value.free"),
)
async def project_buttons(turn: Turn) -> list[list[Key]]:
    jobs = Jobs(turn.services["db"])
    total = await jobs.count_for_user(turn.user.id)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(turn.data.get("projects_page", 0), pages - 1)
    rows = [
        [
            Key(
                "btn.job_item",
                "open_job",
                str(job.id),
                {
                    "model": _title(turn, job),
                    "date": moscow_time(job.created_at, "%d.%m"),
                    "state": Fragment.of(f"job_state.{job.state}"),
                    "price": _price(job),
                },
            )
        ]
        for job in await jobs.for_user(turn.user.id, PAGE_SIZE, page * PAGE_SIZE)
    ]
    if pages > 1:
        rows.append(
            [
                Key("btn.page_prev", "projects_page", str((page - 1) % pages)),
                Key("btn.page_info", "projects_page", str(page), {"page": page + 1, "pages": pages}),
                Key("btn.page_next", "projects_page", str((page + 1) % pages)),
            ]
        )
    return rows


@registry.guard
async def own_job(turn: Turn) -> bool:
    return await owned_job(turn, turn.payload) is not None


@registry.action()
async def remember_job(turn: Turn) -> None:
    turn.data["open_job"] = int(turn.payload or 0)


@registry.action(notices=("projects.not_found",))
async def explain_job_not_found(turn: Turn) -> None:
    turn.notify("projects.not_found")


@registry.screen_data(
    provides=("job", "model", "date", "state", "price", "inputs", "error"),
    texts=(
        "confirm.input",
        "project.error",
        *STATE_TEXTS,
        "value.free",
        "value.yes",
        "value.no",
        "value.image",
        "value.images",
    ),
)
async def project_view(turn: Turn) -> dict[str, Any]:
    job = await owned_job(turn, str(turn.data.get("open_job", "")))
    if job is None:
        return dict.fromkeys(("job", "model", "date", "state", "price", "inputs", "error"), "—")
    model = catalog_of(turn).models.get(job.model_id)
    lines = []
    if model is not None:
        lines = [
            Fragment.of("confirm.input", title=f.title, value=shown_value(turn, f, job.inputs[f.name]))
            for f in model.fields
            if f.name in job.inputs and f.asked
        ]
    error = Fragment.of("project.error", cause=Fragment.of(f"cause.{job.error_cause}")) if job.error_cause else ""
    return {
        "job": job.id,
        "model": _title(turn, job),
        "date": moscow_time(job.created_at, "%d.%m.%Y %H:%M"),
        "state": Fragment.of(f"job_state.{job.state}"),
        "price": _price(job),
        "inputs": lines,
        "error": error,
    }


@registry.buttons(triggers=("resend", "repeat"), texts=("btn.resend", "btn.repeat"))
async def project_actions(turn: Turn) -> list[list[Key]]:
    job = await owned_job(turn, str(turn.data.get("open_job", "")))
    if job is None:
        return []
    rows = [[Key("btn.resend", "resend", str(job.id))]] if job.state == "delivered" else []
    return [*rows, [Key("btn.repeat", "repeat", str(job.id))]]


@registry.action(notices=("projects.not_ready",))
async def resend_result(turn: Turn) -> None:
    job = await owned_job(turn, turn.payload)
    runner = turn.services.get("generator")
    if job is None or job.state != "delivered" or runner is None:
        turn.notify("projects.not_ready")
        return
    await runner.redeliver(job)


@registry.guard
async def repeatable(turn: Turn) -> bool:
    job = await owned_job(turn, turn.payload)
    return job is not None and catalog_of(turn).get(job.model_id) is not None


@registry.action()
async def load_job(turn: Turn) -> None:
    """Repeat: the same model and inputs, straight to the confirmation."""
    job = await owned_job(turn, turn.payload)
    assert job is not None
    turn.data.update(model=job.model_id, preset=None, inputs=dict(job.inputs), plan=[], step=0, stage="done")
