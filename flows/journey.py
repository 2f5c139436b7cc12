"""The AI Studio journey: lists of models → a model card → its inputs, one by one → confirmation.

Guards, actions, screen data and button rows that flows/studio.yaml names. What the user chose so
far lives in `turn.data` (persisted by the engine between updates):

  list    which list is open: {"kind": category|free|popular|search, "key": ..., "page": n}
  model   the chosen model's id;  preset  the marketing preset it came from, if any
  inputs  answers so far, by field name;  plan / step / stage  which fields are being asked, and where
  next    where an answer leads (ask | options | confirm | card), set by the `prepare` callbacks
"""

from __future__ import annotations

import time
from typing import Any

from engine.registry import Key
from engine.texts import Fragment
from engine.turn import Turn
from flows import registry
from flows.catalog import Catalog, Field, Model
from flows.inputs import ANSWER_TEXTS, MAX_IMAGE_BYTES, Answer, judge
from flows.money import rubles
from flows.search import ModelIndex
from storage import FreeUses, JobLocks, Jobs, Ledger

PAGE_SIZE = 8
POPULAR_SIZE = 10
MOSCOW_OFFSET_S = 3 * 3600  # the free quota resets at midnight Moscow time
SHOWN_TEXT = 200  # how much of a long answer the confirmation repeats


# -- helpers ---------------------------------------------------------------------------------------


def catalog_of(turn: Turn) -> Catalog:
    catalog: Catalog = turn.services["catalog"]
    return catalog


def model_of(turn: Turn) -> Model | None:
    return catalog_of(turn).get(turn.data.get("model"))


def moscow_time(stamp: float, layout: str) -> str:
    return time.strftime(layout, time.gmtime(stamp + MOSCOW_OFFSET_S))


def today(stamp: float | None = None) -> str:
    """The day the free quota counts in (Moscow), of `stamp` or of now."""
    return moscow_time(time.time() if stamp is None else stamp, "%Y-%m-%d")


_indexes: dict[int, ModelIndex] = {}


def index_of(catalog: Catalog) -> ModelIndex:
    if id(catalog) not in _indexes:
        _indexes[id(catalog)] = ModelIndex(catalog, catalog.category_titles)
    return _indexes[id(catalog)]


async def ensure_welcome_bonus(turn: Turn) -> None:
    """A new user's first look at money credits the welcome bonus, once (the ledger keys it on the user)."""
    bonus = catalog_of(turn).welcome_bonus
    if bonus > 0 and not turn.data.get("welcomed"):
        ledger = Ledger(turn.services["db"])
        # A read first: after /start the flag is gone, and a write transaction per screen would be waste.
        if await ledger.find("welcome", str(turn.user.id)) is None:
            await ledger.post_once(turn.user.id, bonus, "welcome", str(turn.user.id))
        turn.data["welcomed"] = True


async def free_left(turn: Turn) -> int:
    catalog = catalog_of(turn)
    used = await FreeUses(turn.services["db"]).used(turn.user.id, today())
    return max(0, catalog.free_per_day - used)


def asked_fields(model: Model, required: bool) -> list[Field]:
    return [f for f in model.fields if f.asked and f.required == required]


def current_field(turn: Turn) -> Field | None:
    model = model_of(turn)
    plan, step = turn.data.get("plan") or [], turn.data.get("step", 0)
    if model is None or step >= len(plan):
        return None
    return model.field(plan[step])


def shown_value(turn: Turn, f: Field, value: Any) -> Any:
    """How an answer reads on the confirmation: a label, yes/no, the count of photos, a shortened text."""
    if f.type == "bool":
        return Fragment.of("value.yes" if value else "value.no")
    if f.type == "enum":
        return f.label(value)
    if f.type == "image":
        return Fragment.of("value.image")
    if f.type == "images":
        return Fragment.of("value.images", count=len(value or []))
    text = str(value)
    return text if len(text) <= SHOWN_TEXT else text[: SHOWN_TEXT - 1] + "…"


async def listed_models(turn: Turn) -> list[Model]:
    """The models of the list the user has open (the header, the buttons and the pager ask once per update)."""
    spec = turn.data.get("list") or {}
    memo_key = ("listed", spec.get("kind"), spec.get("key", ""))
    if memo_key not in turn.memo:
        turn.memo[memo_key] = await _listed(turn, spec)
    models: list[Model] = turn.memo[memo_key]
    return models


async def _listed(turn: Turn, spec: dict[str, Any]) -> list[Model]:
    catalog = catalog_of(turn)
    kind, key = spec.get("kind"), spec.get("key", "")
    if kind == "category":
        return catalog.in_category(key)
    if kind == "free":
        return catalog.cheapest()
    if kind == "search":
        return index_of(catalog).search(key)
    if kind == "popular":
        return await popular_models(turn)
    return []


async def popular_models(turn: Turn) -> list[Model]:
    """Ranked by completed generations; the curated order of catalog.yaml breaks ties and fills in."""
    catalog = catalog_of(turn)
    counts = await Jobs(turn.services["db"]).completed_by_model()
    curated = {model_id: rank for rank, model_id in enumerate(catalog.popular)}
    ranked = sorted(
        (m for m in catalog.available() if counts.get(m.id) or m.id in curated),
        key=lambda m: (-counts.get(m.id, 0), curated.get(m.id, len(curated)), m.order),
    )
    return ranked[:POPULAR_SIZE]


def open_list(turn: Turn, kind: str, key: str = "") -> None:
    turn.data["list"] = {"kind": kind, "key": key, "page": 0}


# -- lists -----------------------------------------------------------------------------------------


@registry.guard
async def known_category(turn: Turn) -> bool:
    return turn.payload in catalog_of(turn).categories


@registry.action()
async def show_category(turn: Turn) -> None:
    open_list(turn, "category", turn.payload or "")


@registry.action()
async def show_free(turn: Turn) -> None:
    open_list(turn, "free")


@registry.action()
async def show_popular(turn: Turn) -> None:
    open_list(turn, "popular")


@registry.guard
async def search_finds(turn: Turn) -> bool:
    query = (turn.text or "").strip()[:100]
    found = index_of(catalog_of(turn)).search(query)
    turn.memo[("listed", "search", query)] = found  # the list shown next reuses it
    return bool(found)


@registry.action()
async def show_search_results(turn: Turn) -> None:
    open_list(turn, "search", (turn.text or "").strip()[:100])


@registry.action(notices=("search.nothing",))
async def explain_nothing_found(turn: Turn) -> None:
    turn.notify("search.nothing", query=(turn.text or "").strip()[:100])


@registry.action()
async def turn_page(turn: Turn) -> None:
    spec = turn.data.get("list") or {}
    if turn.payload and turn.payload.isdigit():
        spec["page"] = int(turn.payload)
        turn.data["list"] = spec


LIST_TEXTS = ("list.category", "list.free", "list.popular", "list.search", "list.empty")


@registry.screen_data(provides=("header",), texts=LIST_TEXTS)
async def list_view(turn: Turn) -> dict[str, Any]:
    catalog = catalog_of(turn)
    spec = turn.data.get("list") or {}
    kind, key = spec.get("kind"), spec.get("key", "")
    models = await listed_models(turn)
    if kind == "category":
        header = Fragment.of("list.category", category=catalog.category_titles.get(key, key), count=len(models))
    elif kind == "free":
        header = Fragment.of("list.free", left=await free_left(turn), per_day=catalog.free_per_day)
    elif kind == "popular":
        header = Fragment.of("list.popular")
    elif kind == "search":
        header = Fragment.of("list.search", query=key, count=len(models))
    else:
        header = Fragment.of("list.empty")
    return {"header": header}


@registry.buttons(triggers=("pick_model",), texts=("btn.model_item", "btn.model_item_free"))
async def model_buttons(turn: Turn) -> list[list[Key]]:
    models = await listed_models(turn)
    page = (turn.data.get("list") or {}).get("page", 0)
    free = (turn.data.get("list") or {}).get("kind") == "free"
    shown = models[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    return [
        [
            Key("btn.model_item_free", "pick_model", m.id, {"title": m.title})
            if free
            else Key("btn.model_item", "pick_model", m.id, {"title": m.title, "price": rubles(m.min_price)})
        ]
        for m in shown
    ]


@registry.buttons(triggers=("page",), texts=("btn.page_prev", "btn.page_next", "btn.page_info"))
async def page_buttons(turn: Turn) -> list[list[Key]]:
    spec = turn.data.get("list") or {}
    count = len(await listed_models(turn))
    pages = max(1, -(-count // PAGE_SIZE))
    if pages == 1:
        return []
    page = min(spec.get("page", 0), pages - 1)
    return [
        [
            Key("btn.page_prev", "page", str((page - 1) % pages)),
            Key("btn.page_info", "page", str(page), {"page": page + 1, "pages": pages}),
            Key("btn.page_next", "page", str((page + 1) % pages)),
        ]
    ]


@registry.buttons(triggers=("pick_preset",), texts=("btn.preset",))
async def preset_buttons(turn: Turn) -> list[list[Key]]:
    catalog = catalog_of(turn)
    spec = turn.data.get("list") or {}
    if spec.get("page", 0) != 0:
        return []
    presets = [
        p
        for p in catalog.presets.values()
        if catalog.get(p.model) is not None
        and (
            spec.get("kind") == "popular"
            or (spec.get("kind") == "category" and catalog.models[p.model].category == spec.get("key"))
        )
    ]
    return [[Key("btn.preset", "pick_preset", p.id, {"title": p.title})] for p in presets]


# -- choosing a model ------------------------------------------------------------------------------


@registry.guard
async def choice_available(turn: Turn) -> bool:
    catalog = catalog_of(turn)
    if turn.payload in catalog.presets:
        return catalog.get(catalog.presets[turn.payload].model) is not None
    return catalog.get(turn.payload) is not None


@registry.action()
async def choose_model(turn: Turn) -> None:
    catalog = catalog_of(turn)
    preset = catalog.presets.get(turn.payload or "")
    turn.data["model"] = preset.model if preset else turn.payload
    turn.data["preset"] = preset.id if preset else None
    turn.data["inputs"] = {}


@registry.action(notices=("studio.unavailable",))
async def explain_unavailable(turn: Turn) -> None:
    turn.notify("studio.unavailable")


CARD_TEXTS = ("card.preset", "card.free", "card.price_from", "card.price_exact")


@registry.screen_data(
    provides=("title", "description", "good_for", "example", "recommended", "price", "extra"), texts=CARD_TEXTS
)
async def card_view(turn: Turn) -> dict[str, Any]:
    catalog = catalog_of(turn)
    model = model_of(turn)
    if model is None:  # switched off while the card was open: the guards refuse every next step
        return dict.fromkeys(("title", "description", "good_for", "example", "recommended", "price", "extra"), "—")
    extra: list[Fragment] = []
    preset = catalog.presets.get(turn.data.get("preset") or "")
    if preset is not None:
        extra.append(Fragment.of("card.preset", title=preset.title, template=preset.prompt))
    if catalog.is_free(model.id):
        extra.append(Fragment.of("card.free", per_day=catalog.free_per_day))
    single = len(set(model.prices.values())) == 1
    return {
        "title": model.title,
        "description": model.description,
        "good_for": ", ".join(model.good_for),
        "example": model.example,
        "recommended": model.recommended or "—",
        "price": Fragment.of("card.price_exact" if single else "card.price_from", price=rubles(model.min_price)),
        "extra": extra,
    }


@registry.guard
async def no_running_job(turn: Turn) -> bool:
    return await JobLocks(turn.services["db"]).held(turn.user.id) is None


@registry.action(notices=("studio.locked",))
async def explain_running_job(turn: Turn) -> None:
    turn.answer("studio.locked", alert=True)


@registry.action(notices=("studio.locked", "engine.stale_button"))
async def explain_launch_again(turn: Turn) -> None:
    """A confirm pressed again after the job started: the lock text while it runs, else a stale button."""
    if await JobLocks(turn.services["db"]).held(turn.user.id) is not None:
        turn.answer("studio.locked", alert=True)
    else:
        turn.answer("engine.stale_button")


@registry.guard
async def model_still_available(turn: Turn) -> bool:
    return model_of(turn) is not None


@registry.action()
async def start_inputs(turn: Turn) -> None:
    model = model_of(turn)
    assert model is not None
    turn.data["inputs"] = {}
    turn.data["plan"] = [f.name for f in asked_fields(model, required=True)]
    turn.data["step"] = 0
    turn.data["stage"] = "required"


# -- collecting inputs -----------------------------------------------------------------------------


def _route_after_answer(turn: Turn, model: Model) -> str:
    stage = turn.data.get("stage")
    if turn.data["step"] < len(turn.data.get("plan") or []):
        return "ask"
    if stage == "required" and asked_fields(model, required=False):
        return "options"
    return "confirm"


@registry.action(notices=ANSWER_TEXTS)
async def take_answer(turn: Turn) -> None:
    """Judge the answer to the current field; store it and work out where it leads (`next`)."""
    model, f = model_of(turn), current_field(turn)
    turn.data["next"] = "ask"
    if model is None or f is None:
        turn.notify("answer.unknown_choice")
        return
    trigger = turn.trigger
    inputs = turn.data.setdefault("inputs", {})
    collected = list(inputs.get(f.name) or []) if f.type == "images" else []
    verdict = judge(f, Answer(trigger, turn.text, turn.payload, turn.message, collected))
    if verdict.error is not None:
        key, values = verdict.error
        turn.notify(key, **values)
        return
    if verdict.skipped:
        inputs.pop(f.name, None)
    else:
        inputs[f.name] = verdict.value
    if verdict.complete:
        turn.data["step"] += 1
        turn.data["next"] = "confirm" if turn.data.get("stage") == "edit" else _route_after_answer(turn, model)


@registry.guard
async def next_is_confirm(turn: Turn) -> bool:
    return turn.data.get("next") == "confirm"


@registry.guard
async def next_is_options(turn: Turn) -> bool:
    return turn.data.get("next") == "options"


@registry.guard
async def next_is_card(turn: Turn) -> bool:
    return turn.data.get("next") == "card"


@registry.action()
async def step_back(turn: Turn) -> None:
    """Back: the previous field; from the first one, whatever came before the questions."""
    model = model_of(turn)
    stage, step = turn.data.get("stage"), turn.data.get("step", 0)
    if turn.state.endswith(".options") and model is not None:
        turn.data.update(plan=[f.name for f in asked_fields(model, True)], stage="required")
        turn.data["step"] = max(0, len(turn.data["plan"]) - 1)
        turn.data["next"] = "ask"
    elif step > 0:
        turn.data["step"] = step - 1
        turn.data["next"] = "ask"
    elif stage == "optional":
        turn.data["next"] = "options"
    elif stage == "edit":
        turn.data["next"] = "confirm"
    else:
        turn.data["next"] = "card"


@registry.action()
async def drop_inputs(turn: Turn) -> None:
    for key in ("inputs", "plan", "step", "stage", "next", "return_to_order"):
        turn.data.pop(key, None)


@registry.action()
async def start_optional(turn: Turn) -> None:
    model = model_of(turn)
    assert model is not None
    turn.data.update(plan=[f.name for f in asked_fields(model, False)], step=0, stage="optional")


@registry.action(notices=("answer.need_text", "answer.need_image", "answer.need_choice"))
async def explain_expected_answer(turn: Turn) -> None:
    f = current_field(turn)
    if f is not None:
        verdict = judge(f, Answer("message.other"))
        assert verdict.error is not None
        key, values = verdict.error
        turn.notify(key, **values)


QUESTION_TEXTS = (
    "ask.string",
    "ask.template",
    "ask.enum",
    "ask.bool",
    "ask.number",
    "ask.image",
    "ask.images",
    "ask.optional",
    "ask.current",
    "value.yes",
    "value.no",
    "value.image",
    "value.images",
)


@registry.screen_data(provides=("step", "steps", "model", "question"), texts=QUESTION_TEXTS)
async def question_view(turn: Turn) -> dict[str, Any]:
    model, f = model_of(turn), current_field(turn)
    if model is None or f is None:
        return {"step": 0, "steps": 0, "model": "—", "question": ""}
    required = asked_fields(model, True)
    everything = required + asked_fields(model, False)
    steps = len(required) if turn.data.get("stage") == "required" else len(everything)
    step = next(i for i, candidate in enumerate(everything) if candidate.name == f.name) + 1
    question: list[Fragment] = [_question(turn, f)]
    inputs = turn.data.get("inputs") or {}
    if not f.required:
        default = f.label(f.default) if f.default is not None else None
        question.append(Fragment.of("ask.optional", default=default or "—"))
    if turn.data.get("stage") == "edit" and f.name in inputs and f.type != "images":
        question.append(Fragment.of("ask.current", value=shown_value(turn, f, inputs[f.name])))
    return {"step": step, "steps": steps, "model": model.title, "question": question}


def _question(turn: Turn, f: Field) -> Fragment:
    catalog = catalog_of(turn)
    if f.type == "string":
        preset = catalog.presets.get(turn.data.get("preset") or "")
        if preset is not None and f.name == "prompt":
            return Fragment.of("ask.template", title=f.title, template=preset.prompt, limit=f.max_length or "∞")
        return Fragment.of("ask.string", title=f.title, limit=f.max_length or "∞")
    if f.type == "enum":
        return Fragment.of("ask.enum", title=f.title)
    if f.type == "bool":
        return Fragment.of("ask.bool", title=f.title)
    if f.type == "number":
        return Fragment.of("ask.number", title=f.title, min=f.minimum, max=f.maximum)
    count = len((turn.data.get("inputs") or {}).get(f.name) or []) if f.type == "images" else 0
    key = "ask.image" if f.type == "image" else "ask.images"
    return Fragment.of(key, title=f.title, count=count, max=f.max_items or 1, limit=MAX_IMAGE_BYTES // 2**20)


@registry.buttons(
    triggers=("choose", "done", "skip"),
    texts=("btn.option", "btn.option_default", "btn.yes", "btn.no", "btn.done", "btn.skip"),
)
async def answer_buttons(turn: Turn) -> list[list[Key]]:
    f = current_field(turn)
    if f is None:
        return []
    rows: list[list[Key]] = []
    if f.type == "enum":
        keys = [
            Key("btn.option_default" if value == f.default else "btn.option", "choose", str(i), {"label": label})
            for i, (value, label) in enumerate(f.values)
        ]
        width = 1 if max(len(label) for _, label in f.values) > 14 else 2
        rows += [keys[i : i + width] for i in range(0, len(keys), width)]
    elif f.type == "bool":
        rows.append([Key("btn.yes", "choose", "0"), Key("btn.no", "choose", "1")])
    elif f.type == "images":
        count = len((turn.data.get("inputs") or {}).get(f.name) or [])
        if count:
            rows.append([Key("btn.done", "done", None, {"count": count})])
    if not f.required:
        rows.append([Key("btn.skip", "skip")])
    return rows


# -- optional settings -----------------------------------------------------------------------------


@registry.screen_data(provides=("model", "settings"), texts=("options.line", "value.yes", "value.no"))
async def options_view(turn: Turn) -> dict[str, Any]:
    model = model_of(turn)
    if model is None:
        return {"model": "—", "settings": ""}
    lines = [
        Fragment.of(
            "options.line", title=f.title, value=shown_value(turn, f, f.default) if f.default is not None else "—"
        )
        for f in asked_fields(model, False)
    ]
    return {"model": model.title, "settings": lines}


@registry.action()
async def skip_optional(turn: Turn) -> None:
    turn.data["stage"] = "done"
