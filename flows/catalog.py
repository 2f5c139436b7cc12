"""catalog.yaml: what AI Studio sells — categories, models with their inputs and prices, presets, the free tier.

Loaded once at start-up (and by `studio-bot lint`), every problem reported as `catalog.yaml:line: ...`.
Prices are integer kopecks, computed from Kie credits with exact fractions: never floats.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from engine.source import Mapping, Problem, Sequence, YamlError, load_yaml
from engine.spec import MAX_CALLBACK_BYTES, Product

CATALOG_FILE = "catalog.yaml"
FIELD_TYPES = ("string", "enum", "image", "images", "bool", "number")
PROVIDERS = ("kie", "kie_veo", "kie_suno", "chat")
KEY_SEPARATOR = " / "
# The longest callback a model id travels in (`pick_model|<id>`); ids must fit Telegram's 64 bytes.
LONGEST_MODEL_TRIGGER = "pick_model|"

TOP_KEYS = {
    "pricing",
    "welcome_bonus",
    "free",
    "job_lock_minutes",
    "search",
    "categories",
    "popular",
    "presets",
    "tariffs",
    "models",
}
PRICING_KEYS = {"kopecks_per_credit", "markup_percent", "round_up_to"}
FREE_KEYS = {"models", "per_day"}
MODEL_KEYS = {
    "id",
    "provider",
    "category",
    "title",
    "description",
    "good_for",
    "example",
    "recommended",
    "inputs",
    "price",
    "chat_model",
    "system",
}
FIELD_KEYS = {"name", "type", "title", "required", "max", "min", "values", "default", "max_items"}
PRESET_KEYS = {"id", "title", "model", "prompt"}
TARIFF_KEYS = {"id", "title", "stars", "rubles", "bonus"}


@dataclass(frozen=True)
class Field:
    name: str  # the parameter the provider expects
    type: str
    title: str
    required: bool = False
    max_length: int | None = None  # string
    values: tuple[tuple[Any, str], ...] = ()  # enum: (value sent to the provider, label on its button)
    default: Any = None
    minimum: float | None = None  # number
    maximum: float | None = None
    max_items: int | None = None  # images

    @property
    def asked(self) -> bool:
        """An enum with a single value is not a question."""
        return not (self.type == "enum" and len(self.values) == 1)

    def label(self, value: Any) -> str:
        for candidate, label in self.values:
            if candidate == value:
                return label
        return str(value)


@dataclass(frozen=True)
class Model:
    id: str
    provider: str
    category: str
    title: str
    description: str
    good_for: tuple[str, ...]
    example: str
    recommended: str
    fields: tuple[Field, ...]
    price_by: tuple[str, ...]
    prices: dict[tuple[str, ...], int]  # kopecks by the `price_by` inputs' values
    chat_model: str | None = None
    system: str | None = None
    order: int = 0  # position in catalog.yaml

    @property
    def min_price(self) -> int:
        return min(self.prices.values())

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def with_defaults(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """The inputs as sent: defaults where the user gave nothing, single-value enums filled in."""
        result = dict(inputs)
        for f in self.fields:
            if f.name not in result:
                if f.default is not None:
                    result[f.name] = f.default
                elif not f.asked:
                    result[f.name] = f.values[0][0]
        return result

    def price(self, inputs: dict[str, Any]) -> int:
        """Kopecks for these inputs; KeyError if an input the price depends on is missing."""
        values = self.with_defaults(inputs)
        return self.prices[tuple(price_key(values[name]) for name in self.price_by)]


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    model: str
    prompt: str


@dataclass(frozen=True)
class Tariff:
    id: str
    title: str
    stars: int  # what the user pays, in Telegram Stars
    kopecks: int  # what the balance gets
    bonus: int  # kopecks on top

    @property
    def credit(self) -> int:
        return self.kopecks + self.bonus


@dataclass
class Catalog:
    categories: dict[str, str]  # id -> text key of its title
    models: dict[str, Model]
    presets: dict[str, Preset]
    popular: tuple[str, ...]
    welcome_bonus: int = 5000
    free_models: int = 5
    free_per_day: int = 5
    job_lock_seconds: int = 30 * 60
    disabled: set[str] = field(default_factory=set)  # switched off by an admin at run time
    tariffs: dict[str, Tariff] = field(default_factory=dict)
    category_titles: dict[str, str] = field(default_factory=dict)  # id -> its title as rendered from texts
    stop_words: frozenset[str] = frozenset()  # search ignores these
    transliteration: dict[str, str] = field(default_factory=dict)  # letter -> Latin letters, for search

    def available(self) -> list[Model]:
        return [m for m in self.models.values() if m.id not in self.disabled]

    def in_category(self, category: str) -> list[Model]:
        return [m for m in self.available() if m.category == category]

    def cheapest(self) -> list[Model]:
        """The free models: the N cheapest, computed, never kept by hand."""
        return sorted(self.available(), key=lambda m: (m.min_price, m.order))[: self.free_models]

    def is_free(self, model_id: str) -> bool:
        return any(m.id == model_id for m in self.cheapest())

    def get(self, model_id: str | None) -> Model | None:
        if model_id is None or model_id in self.disabled:
            return None
        return self.models.get(model_id)


def price_key(value: Any) -> str:
    """How an input's value is written in a price table key: 5, 720p, true."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Reader:
    def __init__(self, product: Product | None) -> None:
        self.problems: list[Problem] = []
        self.product = product

    def problem(self, node: Mapping | Sequence, line: int, message: str) -> None:
        self.problems.append(Problem(node.file, line, message))

    def keys(self, node: Mapping, allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                self.problem(node, node.line_of(key), f"unknown key '{key}' in {what}")

    def text(self, node: Mapping, key: str, what: str, required: bool = True) -> str:
        value = node.get(key)
        if value is None or value == "":
            if required:
                self.problem(node, node.line, f"{what} needs '{key}'")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.problem(node, node.line_of(key), f"'{key}' of {what} must be text")
            return ""
        return str(value)

    def whole(self, node: Mapping, key: str, what: str, default: int, minimum: int = 0) -> int:
        value = node.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.problem(node, node.line_of(key), f"'{key}' of {what} must be a whole number ≥ {minimum}")
            return default
        return value


def load_catalog(root: Path, product: Product | None = None) -> tuple[Catalog, list[Problem]]:
    reader = _Reader(product)
    empty = Catalog({}, {}, {}, ())
    try:
        tree = load_yaml(root / CATALOG_FILE, CATALOG_FILE)
    except YamlError as err:
        return empty, [err.problem]
    except FileNotFoundError:
        return empty, [Problem(CATALOG_FILE, 1, "the catalog file is missing")]
    if not isinstance(tree, Mapping):
        return empty, [Problem(CATALOG_FILE, 1, "expected 'categories' and 'models' at the top level")]
    reader.keys(tree, TOP_KEYS, CATALOG_FILE)
    credit = _read_pricing(reader, tree)
    free = tree.get("free") if isinstance(tree.get("free"), Mapping) else Mapping.at(tree.file, tree.line)
    reader.keys(free, FREE_KEYS, "'free'")
    categories = _read_categories(reader, tree)
    models = _read_models(reader, tree, categories, credit)
    catalog = Catalog(
        categories=categories,
        models=models,
        presets=_read_presets(reader, tree, models),
        popular=_read_popular(reader, tree, models),
        welcome_bonus=reader.whole(tree, "welcome_bonus", "the catalog", 5000),
        free_models=reader.whole(free, "models", "'free'", 5),
        free_per_day=reader.whole(free, "per_day", "'free'", 5),
        job_lock_seconds=60 * reader.whole(tree, "job_lock_minutes", "the catalog", 30, minimum=1),
    )
    _read_search(reader, tree, catalog)
    catalog.tariffs = _read_tariffs(reader, tree)
    for category, key in categories.items():
        if product is not None and key in product.texts:
            catalog.category_titles[category] = product.texts.render(key)
        if not catalog.in_category(category):
            reader.problem(
                tree["categories"], tree["categories"].line_of(category), f"category '{category}' has no models"
            )
        if product is not None and key not in product.texts:
            line = tree["categories"].line_of(category)
            reader.problem(tree["categories"], line, f"category '{category}' uses text '{key}', which is not in texts")
    return catalog, reader.problems


def _read_search(reader: _Reader, tree: Mapping, catalog: Catalog) -> None:
    node = tree.get("search")
    if node is None:
        return
    if not isinstance(node, Mapping):
        reader.problem(tree, tree.line_of("search"), "'search' must have 'stop_words' and 'transliteration'")
        return
    reader.keys(node, {"stop_words", "transliteration"}, "'search'")
    words = node.get("stop_words") or []
    table = node.get("transliteration") or Mapping.at(node.file, node.line)
    if not isinstance(words, list) or not isinstance(table, Mapping):
        reader.problem(node, node.line, "'stop_words' is a list of words, 'transliteration' maps a letter to letters")
        return
    catalog.stop_words = frozenset(str(w).lower() for w in words)
    for letter, latin in table.items():
        if len(letter) != 1 or not isinstance(latin, str):
            reader.problem(table, table.line_of(letter), f"transliteration of '{letter}': one letter to a string")
            continue
        catalog.transliteration[letter] = latin


def _read_pricing(reader: _Reader, tree: Mapping) -> Any:
    node = tree.get("pricing")
    if not isinstance(node, Mapping):
        reader.problem(tree, tree.line_of("pricing") if "pricing" in tree else tree.line, "the catalog needs 'pricing'")
        node = Mapping.at(tree.file, tree.line)
    reader.keys(node, PRICING_KEYS, "'pricing'")
    per_credit = reader.whole(node, "kopecks_per_credit", "'pricing'", 40, minimum=1)
    markup = reader.whole(node, "markup_percent", "'pricing'", 100)
    step = reader.whole(node, "round_up_to", "'pricing'", 1, minimum=1)

    def kopecks(credits: Fraction) -> int:
        exact = credits * per_credit * (100 + markup) / 100
        return math.ceil(exact / step) * step

    return kopecks


def _read_categories(reader: _Reader, tree: Mapping) -> dict[str, str]:
    node = tree.get("categories")
    if not isinstance(node, Mapping) or not node:
        reader.problem(tree, tree.line, "the catalog needs 'categories': id: {text: key}")
        return {}
    result = {}
    for name, spec in node.items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("text"), str):
            reader.problem(node, node.line_of(name), f"category '{name}' needs 'text: <key of texts.ru.yaml>'")
            continue
        result[name] = spec["text"]
    return result


def _read_models(reader: _Reader, tree: Mapping, categories: dict[str, str], credit: Any) -> dict[str, Model]:
    node = tree.get("models")
    if not isinstance(node, Sequence):
        reader.problem(tree, tree.line, "the catalog needs 'models': a list")
        return {}
    models: dict[str, Model] = {}
    for order, spec in enumerate(node):
        if not isinstance(spec, Mapping):
            reader.problem(node, node.line_of(order), "a model must be a mapping with 'id'")
            continue
        model = _read_model(reader, spec, categories, credit, order)
        if model is None:
            continue
        if model.id in models:
            reader.problem(spec, spec.line, f"duplicate model '{model.id}'")
            continue
        models[model.id] = model
    return models


def _read_model(reader: _Reader, spec: Mapping, categories: dict[str, str], credit: Any, order: int) -> Model | None:
    model_id = reader.text(spec, "id", "a model")
    if not model_id:
        return None
    what = f"model '{model_id}'"
    reader.keys(spec, MODEL_KEYS, what)
    if len((LONGEST_MODEL_TRIGGER + model_id).encode()) > MAX_CALLBACK_BYTES:
        reader.problem(spec, spec.line_of("id"), f"{what}: the id is too long for a Telegram button")
    category = reader.text(spec, "category", what)
    if category and category not in categories:
        known = ", ".join(categories)
        reader.problem(spec, spec.line_of("category"), f"{what} is in unknown category '{category}' (known: {known})")
    provider = reader.text(spec, "provider", what, required=False) or "kie"
    if provider not in PROVIDERS:
        reader.problem(
            spec, spec.line_of("provider"), f"{what}: unknown provider '{provider}' ({', '.join(PROVIDERS)})"
        )
    if provider == "chat" and not spec.get("chat_model"):
        reader.problem(spec, spec.line, f"{what}: a chat model needs 'chat_model'")
    fields = _read_fields(reader, spec, what)
    price_by, prices = _read_price(reader, spec, what, fields, provider, credit)
    good_for = spec.get("good_for") or []
    if not isinstance(good_for, list) or not all(isinstance(x, str) for x in good_for):
        reader.problem(spec, spec.line_of("good_for"), f"'good_for' of {what} must be a list of labels")
        good_for = []
    return Model(
        id=model_id,
        provider=provider,
        category=category,
        title=reader.text(spec, "title", what),
        description=reader.text(spec, "description", what),
        good_for=tuple(good_for),
        example=reader.text(spec, "example", what),
        recommended=reader.text(spec, "recommended", what, required=False),
        fields=fields,
        price_by=price_by,
        prices=prices,
        chat_model=spec.get("chat_model"),
        system=spec.get("system"),
        order=order,
    )


def _read_fields(reader: _Reader, spec: Mapping, what: str) -> tuple[Field, ...]:
    node = spec.get("inputs")
    if not isinstance(node, Sequence) or not node:
        reader.problem(spec, spec.line, f"{what} needs 'inputs': a list of fields")
        return ()
    fields: list[Field] = []
    for index, item in enumerate(node):
        if not isinstance(item, Mapping):
            reader.problem(node, node.line_of(index), f"an input of {what} must be a mapping with 'name' and 'type'")
            continue
        name = reader.text(item, "name", f"an input of {what}")
        where = f"input '{name}' of {what}"
        reader.keys(item, FIELD_KEYS, where)
        kind = reader.text(item, "type", where)
        if kind and kind not in FIELD_TYPES:
            reader.problem(item, item.line_of("type"), f"{where}: unknown type '{kind}' ({', '.join(FIELD_TYPES)})")
            continue
        if any(f.name == name for f in fields):
            reader.problem(item, item.line, f"{what} has input '{name}' twice")
            continue
        values = _read_values(reader, item, where) if kind == "enum" else ()
        if kind == "enum" and not values:
            reader.problem(item, item.line, f"{where}: an enum needs 'values'")
        default = item.get("default")
        if kind == "bool":
            values = ((True, ""), (False, ""))
        if default is not None and values and default not in [v for v, _ in values]:
            shown = ", ".join(str(v) for v, _ in values)
            reader.problem(
                item, item.line_of("default"), f"{where}: default '{default}' is not among its values ({shown})"
            )
        if kind == "string" and not isinstance(item.get("max", 0), int):
            reader.problem(item, item.line_of("max"), f"{where}: 'max' of a string is a whole number of characters")
        fields.append(
            Field(
                name=name,
                type=kind,
                title=reader.text(item, "title", where),
                required=bool(item.get("required", False)),
                max_length=item.get("max") if kind == "string" else None,
                values=values,
                default=default,
                minimum=item.get("min") if kind == "number" else None,
                maximum=item.get("max") if kind == "number" else None,
                max_items=item.get("max_items") if kind == "images" else None,
            )
        )
    if fields and not any(f.required and f.asked for f in fields):
        reader.problem(spec, spec.line_of("inputs"), f"{what} needs at least one required input")
    return tuple(fields)


def _read_values(reader: _Reader, item: Mapping, where: str) -> tuple[tuple[Any, str], ...]:
    values = item.get("values")
    if isinstance(values, Mapping):
        return tuple((value, str(label)) for value, label in values.items())
    if isinstance(values, list) and values:
        return tuple((value, str(value)) for value in values)
    reader.problem(
        item, item.line_of("values") if "values" in item else item.line, f"{where}: 'values' is a list or a mapping"
    )
    return ()


def _read_price(
    reader: _Reader, spec: Mapping, what: str, fields: tuple[Field, ...], provider: str, credit: Any
) -> tuple[tuple[str, ...], dict[tuple[str, ...], int]]:
    node = spec.get("price")
    line = spec.line_of("price") if "price" in spec else spec.line
    if not isinstance(node, Mapping):
        reader.problem(spec, line, f"{what} needs 'price'")
        return (), {(): 0}
    if "kopecks" in node:
        if provider != "chat":
            reader.problem(node, node.line_of("kopecks"), f"{what}: only text models are priced in kopecks")
        return (), {(): reader.whole(node, "kopecks", f"the price of {what}", 0, minimum=1)}
    by = node.get("by") or []
    credits = node.get("credits")
    if not isinstance(by, list):
        reader.problem(node, node.line_of("by"), f"'by' in the price of {what} must be a list of inputs")
        return (), {(): 0}
    if not by:
        amount = _credits(reader, node, "credits", what)
        return (), {(): credit(amount) if amount is not None else 0}
    choices: list[list[str]] = []
    for name in by:
        f = next((f for f in fields if f.name == name), None)
        if f is None or f.type not in ("enum", "bool"):
            reader.problem(
                node, node.line_of("by"), f"{what}: the price depends on '{name}', which is not an enum or bool input"
            )
            return (), {(): 0}
        if not f.required and f.default is None:
            reader.problem(node, node.line_of("by"), f"{what}: price input '{name}' is optional and has no default")
        choices.append([price_key(v) for v, _ in f.values])
    if not isinstance(credits, Mapping):
        reader.problem(node, node.line, f"{what}: 'credits' must map \"{KEY_SEPARATOR.join(by)}\" values to credits")
        return (), {(): 0}
    prices: dict[tuple[str, ...], int] = {}
    written = {tuple(str(k).split(KEY_SEPARATOR)): k for k in credits}
    for combination in itertools.product(*choices):
        if combination not in written:
            shown = ", ".join(f"{n}={v}" for n, v in zip(by, combination, strict=True))
            reader.problem(node, node.line_of("credits"), f"{what} has no price for {shown}")
            continue
        amount = _credits(reader, credits, written[combination], what)
        prices[combination] = credit(amount) if amount is not None else 0
    for key, original in written.items():
        if key not in prices:
            line = credits.line_of(original)
            reader.problem(credits, line, f"{what}: price '{original}' matches no combination of {', '.join(by)}")
    return tuple(by), prices or {(): 0}


def _credits(reader: _Reader, node: Mapping, key: str, what: str) -> Fraction | None:
    value = node.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        reader.problem(node, node.line_of(key), f"{what}: credits must be a positive number")
        return None
    return Fraction(str(value))  # via str: 0.8 is eight tenths, not the binary float near it


def _read_presets(reader: _Reader, tree: Mapping, models: dict[str, Model]) -> dict[str, Preset]:
    node = tree.get("presets") or []
    presets: dict[str, Preset] = {}
    for index, spec in enumerate(node if isinstance(node, Sequence) else []):
        if not isinstance(spec, Mapping):
            reader.problem(
                node, node.line_of(index), "a preset must be a mapping with 'id', 'title', 'model', 'prompt'"
            )
            continue
        reader.keys(spec, PRESET_KEYS, "a preset")
        preset = Preset(*(reader.text(spec, key, "a preset") for key in ("id", "title", "model", "prompt")))
        if preset.model and preset.model not in models:
            reader.problem(spec, spec.line_of("model"), f"preset '{preset.id}' uses unknown model '{preset.model}'")
            continue
        presets[preset.id] = preset
    return presets


def _read_tariffs(reader: _Reader, tree: Mapping) -> dict[str, Tariff]:
    node = tree.get("tariffs") or []
    tariffs: dict[str, Tariff] = {}
    for index, spec in enumerate(node if isinstance(node, Sequence) else []):
        if not isinstance(spec, Mapping):
            reader.problem(node, node.line_of(index), "a tariff must be a mapping with id, title, stars, rubles")
            continue
        reader.keys(spec, TARIFF_KEYS, "a tariff")
        tariff_id = reader.text(spec, "id", "a tariff")
        what = f"tariff '{tariff_id}'"
        if tariff_id in tariffs:
            reader.problem(spec, spec.line_of("id"), f"duplicate {what}")
            continue
        if tariff_id and not tariff_id.replace("_", "a").isalnum():
            reader.problem(spec, spec.line_of("id"), f"{what}: an id is letters, digits and _")
        stars = reader.whole(spec, "stars", what, 0, minimum=1)
        rubles = reader.whole(spec, "rubles", what, 0, minimum=1)
        bonus = reader.whole(spec, "bonus", what, 0)
        for key in ("stars", "rubles"):
            if key not in spec:
                reader.problem(spec, spec.line, f"{what} needs '{key}'")
        tariffs[tariff_id] = Tariff(tariff_id, reader.text(spec, "title", what), stars, rubles * 100, bonus * 100)
    return tariffs


def _read_popular(reader: _Reader, tree: Mapping, models: dict[str, Model]) -> tuple[str, ...]:
    node = tree.get("popular") or []
    result = []
    for index, model_id in enumerate(node if isinstance(node, Sequence) else []):
        if model_id not in models:
            reader.problem(node, node.line_of(index), f"popular model '{model_id}' is not in the catalog")
            continue
        result.append(model_id)
    return tuple(result)
