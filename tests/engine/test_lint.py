"""Lint: one broken copy of the product's YAML per kind of error, each reported as file:line: message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.bundle import check, import_registry
from engine.cli import main
from tests.conftest import ROOT


def product_copy(tmp_path: Path) -> Path:
    for name in ("menus.yaml", "texts.ru.yaml", "catalog.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "flows").mkdir()
    for flow in (ROOT / "flows").glob("*.yaml"):
        shutil.copy(flow, tmp_path / "flows" / flow.name)
    return tmp_path


def edit(root: Path, file: str, old: str, new: str) -> int:
    """Replace `old` once; returns the 1-based line where the change starts."""
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} not in {file}"
    index = text.index(old)
    path.write_text(text[:index] + new + text[index + len(old) :], encoding="utf-8")
    return text[:index].count("\n") + 1


def problems(root: Path) -> list[str]:
    registry, _ = import_registry("flows")
    return [str(p) for p in check(root, registry).problems]


def test_the_real_product_is_clean() -> None:
    assert problems(ROOT) == []


# (file, old, new, the message expected at the edited line)
CASES = {
    "unknown key in a screen": (
        "menus.yaml",
        "    text: screen.projects\n",
        "    txt: screen.projects\n",
        "unknown key 'txt' in screen 'projects'",
    ),
    "unknown key in a transition": (
        "flows/support.yaml",
        "    conditions: support_text_fits\n",
        "    condition: support_text_fits\n",
        "unknown key 'condition' in a transition of flow 'support'",
    ),
    "missing text key for a button": (
        "menus.yaml",
        "{text: btn.tariffs, go: tariffs}",
        "{text: btn.tarifs, go: tariffs}",
        "button of screen 'main' uses text 'btn.tarifs', which is not in texts.ru.yaml",
    ),
    "missing text key for a screen": (
        "menus.yaml",
        "    text: screen.tariffs",
        "    text: screen.tarifs",
        "screen 'tariffs' uses text 'screen.tarifs', which is not in texts.ru.yaml",
    ),
    "unknown screen target": (
        "menus.yaml",
        "{text: btn.balance, go: balance}",
        "{text: btn.balance, go: balnce}",
        "button 'btn.balance' goes to unknown screen 'balnce'",
    ),
    "unknown flow target": (
        "menus.yaml",
        "{text: btn.support, flow: support}]\n\n",
        "{text: btn.support, flow: suport}]\n\n",
        "button 'btn.support' starts unknown flow 'suport'",
    ),
    "unknown state in a flow": (
        "flows/support.yaml",
        "    dest: thanks\n",
        "    dest: thank_you\n",
        "transition 'message.text' names unknown state 'thank_you'",
    ),
    "unregistered guard": (
        "flows/support.yaml",
        "    conditions: support_text_fits\n",
        "    conditions: text_is_polite\n",
        "guard 'text_is_polite' is not registered",
    ),
    "unregistered action": (
        "flows/support.yaml",
        "    before: save_support_request\n",
        "    before: save_it\n",
        "action 'save_it' is not registered",
    ),
    "callback data over 64 bytes": (
        "menus.yaml",
        "{text: btn.tariffs, go: tariffs}",
        "{text: btn.tariffs, trigger: t, payload: " + "x" * 70 + "}",
        "is 72 bytes; Telegram allows 64",
    ),
    "more than 8 buttons in a row": (
        "menus.yaml",
        "      - [{text: btn.projects, trigger: open_projects}]",
        "      - [" + ", ".join(["{text: btn.balance, go: balance}"] * 9) + "]",
        "a row of screen 'main' has 9 buttons; at most 8",
    ),
    "duplicate id": (
        "menus.yaml",
        "  balance:\n",
        "  projects:\n    text: screen.projects\n  balance:\n",
        "duplicate key 'projects' (first at line",
    ),
    "YAML syntax": (
        "menus.yaml",
        "      - [{text: btn.projects, trigger: open_projects}]",
        "      - [{text: btn.projects, trigger: open_projects}",
        "not valid YAML",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_kind_of_error_points_at_its_file_and_line(tmp_path: Path, case: str) -> None:
    file, old, new, message = CASES[case]
    root = product_copy(tmp_path)
    line = edit(root, file, old, new)
    found = problems(root)
    matching = [p for p in found if message in p]
    assert matching, f"expected {message!r}; lint said: {found}"
    assert any(p.startswith(f"{file}:{line}:") for p in matching), (line, matching)


def test_a_text_over_4096_characters(tmp_path: Path) -> None:
    root = product_copy(tmp_path)
    line = edit(root, "texts.ru.yaml", "  projects: |-\n", "  projects: " + "a" * 4100 + "\n  projects_old: |-\n")
    assert f"texts.ru.yaml:{line}: text 'screen.projects' is 4100 characters; Telegram allows 4096" in problems(root)


def test_a_placeholder_the_screen_never_supplies(tmp_path: Path) -> None:
    root = product_copy(tmp_path)
    line = edit(root, "texts.ru.yaml", "    <b>💳 Помощь с оплатой</b>", "    <b>💳 Помощь с оплатой</b> {balance}")
    expected = (
        f"texts.ru.yaml:{line - 1}: text 'screen.paysupport' uses {{balance}}, which screen 'paysupport' never supplies"
    )
    assert expected in problems(root)


def test_broken_html_and_stray_braces_in_a_text(tmp_path: Path) -> None:
    root = product_copy(tmp_path)
    edit(root, "texts.ru.yaml", "  video: 🎬 Видео", "  video: <b>🎬 Видео")
    edit(root, "texts.ru.yaml", "  images: 🖼 Изображения", "  images: 🖼 {Изображения")
    found = problems(root)
    assert any("text 'btn.video': <b> is never closed" in p for p in found), found
    assert any("text 'btn.images': " in p and "literal brace" in p for p in found), found


def test_an_unreachable_state_and_a_dead_end(tmp_path: Path) -> None:
    root = product_copy(tmp_path)
    edit(root, "menus.yaml", "      - [{text: btn.to_menu, go: main}]\n  help:", "  help:")
    line = edit(root, "menus.yaml", "  help:\n", "  lonely:\n    text: screen.help\n  help:\n")
    found = problems(root)
    assert f"menus.yaml:{line}: state 'lonely' cannot be reached from 'main'" in found
    assert any(p.endswith("state 'admin' has no way out: give its screen a button or a transition") for p in found)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    root = product_copy(tmp_path)
    cases = [CASES["missing text key for a button"], CASES["unregistered guard"], CASES["unknown screen target"]]
    for file, old, new, _ in cases:
        edit(root, file, old, new)
    found = problems(root)
    for _, _, _, message in cases:
        assert any(message in p for p in found), (message, found)


def test_the_lint_command_exits_non_zero_and_prints_file_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint"]) == 0
    root = product_copy(tmp_path)
    file, old, new, message = CASES["unknown screen target"]
    line = edit(root, file, old, new)
    assert main(["--root", str(root), "lint"]) == 1
    err = capsys.readouterr().err
    assert f"menus.yaml:{line}: {message}" in err
