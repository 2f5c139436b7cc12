"""catalog.yaml: what it holds, how prices are computed, and what lint catches in it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from engine.cli import main
from flows.catalog import load_catalog
from tests.conftest import ROOT
from tests.engine.test_lint import edit, problems, product_copy


def test_the_catalog_covers_every_category_with_at_least_42_models() -> None:
    catalog, found = load_catalog(ROOT)
    assert found == []
    assert len(catalog.models) >= 42
    per_category = Counter(m.category for m in catalog.models.values())
    assert set(per_category) == {"video", "image", "text", "audio", "music", "tools"}
    for model in catalog.models.values():
        assert model.description and model.good_for and model.example, model.id
        assert all(isinstance(price, int) and price > 0 for price in model.prices.values()), model.id


def test_prices_follow_credits_rate_markup_and_options() -> None:
    catalog, _ = load_catalog(ROOT)
    kling = catalog.models["kling-2.6/text-to-video"]
    # credits x 40 kopecks x (100 + 100)% markup, rounded up to whole rubles
    assert kling.price({"duration": "5", "sound": False}) == 55 * 80
    assert kling.price({"duration": "10", "sound": True}) == 220 * 80
    assert catalog.models["z-image"].price({}) == 100  # 0.8 credits = 64 kopecks, rounded up to 1 ₽
    assert catalog.models["text/ad-copy"].price({}) == 300
    with pytest.raises(KeyError):
        catalog.models["wan/2-5-text-to-video"].price({"duration": "7"})


def test_the_free_models_are_computed_as_the_cheapest() -> None:
    catalog, _ = load_catalog(ROOT)
    cheapest = catalog.cheapest()
    assert len(cheapest) == 5
    others = [m for m in catalog.models.values() if m not in cheapest]
    assert max(m.min_price for m in cheapest) <= min(m.min_price for m in others)


CATALOG_CASES = {
    "a price missing for a reachable combination": (
        '      credits: {"5 / false": 55, "5 / true": 110, "10 / false": 110, "10 / true": 220}\n',
        '      credits: {"5 / false": 55, "5 / true": 110, "10 / false": 110}\n',
        "model 'kling-2.6/text-to-video' has no price for duration=10, sound=true",
    ),
    "an enum default not among its values": (
        "      - {name: resolution, type: enum, title: Разрешение, values: [1K, 2K, 4K], default: 2K}\n",
        "      - {name: resolution, type: enum, title: Разрешение, values: [1K, 2K, 4K], default: 8K}\n",
        "input 'resolution' of model 'nano-banana-pro': default '8K' is not among its values (1K, 2K, 4K)",
    ),
    "a model in an unknown category": (
        "    category: music\n",
        "    category: podcasts\n",
        "model 'suno/v5' is in unknown category 'podcasts' (known: video, image, text, audio, music, tools)",
    ),
    "a price for a value the input does not have": (
        "      credits: {TURBO: 3.5, BALANCED: 7, QUALITY: 10}\n",
        "      credits: {TURBO: 3.5, BALANCED: 7, QUALITY: 10, ULTRA: 20}\n",
        "price 'ULTRA' matches no combination of rendering_speed",
    ),
    "an optional priced input without a default": (
        '"15": 15 секунд}, default: "10"}\n',
        '"15": 15 секунд}}\n',
        "price input 'n_frames' is optional and has no default",
        "      by: [n_frames]\n",  # reported where the price depends on it
    ),
    "an unknown input type": (
        "      - {name: image, type: image, title: Фото, required: true}\n",
        "      - {name: image, type: picture, title: Фото, required: true}\n",
        "unknown type 'picture'",
    ),
    "a preset of an unknown model": (
        "    model: text/reels-script\n",
        "    model: text/reel-script\n",
        "preset 'reels_script' uses unknown model 'text/reel-script'",
    ),
}


@pytest.mark.parametrize("case", list(CATALOG_CASES))
def test_lint_points_at_the_catalog_line(tmp_path: Path, case: str) -> None:
    old, new, message, *anchor = CATALOG_CASES[case]
    root = product_copy(tmp_path)
    line = edit(root, "catalog.yaml", old, new)
    if anchor:
        text = (root / "catalog.yaml").read_text(encoding="utf-8")
        line = text[: text.index(anchor[0], text.index(new))].count("\n") + 1
    found = problems(root)
    assert any(p.startswith(f"catalog.yaml:{line}:") and message in p for p in found), found


def test_an_empty_category_and_broken_yaml(tmp_path: Path) -> None:
    root = product_copy(tmp_path)
    edit(root, "catalog.yaml", "    category: music\n", "    category: audio\n")
    assert any("category 'music' has no models" in p for p in problems(root))
    edit(root, "catalog.yaml", "pricing:\n", "pricing: [\n")
    assert any(p.startswith("catalog.yaml:") and "YAML" in p for p in problems(root)), problems(root)


def test_studio_bot_lint_fails_on_a_catalog_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = product_copy(tmp_path)
    old, new, message = CATALOG_CASES["a model in an unknown category"][:3]
    line = edit(root, "catalog.yaml", old, new)
    assert main(["--root", str(root), "lint"]) == 1
    assert f"catalog.yaml:{line}: {message}" in capsys.readouterr().err
