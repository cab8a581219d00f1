"""The README's settings table is the settings model in words: every setting the code reads has a row,
every row names a real setting, and every default it shows is the model's default.

The table is read as a person reads it: a row names one or more variables in backticks
(`RECAP_A` / `RECAP_B`), and its default cell says each one's default in the same order, split by
" / ". A default in backticks must parse to the field's default; prose ("the host name", "unset")
is for defaults computed at run time or for no default at all, and may go on to name values
("unset: `8` on a GPU").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bot.settings import Settings
from tests.support.settings_names import names_by_field, setting_names, setting_value

README = Path(__file__).resolve().parents[1] / "README.md"
NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")
CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Row:
    names: list[str]
    defaults: list[str]  # one per name, or the whole cell when they do not split evenly
    meaning: str
    line: str


def settings_rows(readme: str) -> list[Row]:
    """The rows of the table under "## Settings" (up to the next "## " heading)."""
    _, found, rest = readme.partition("\n## Settings\n")
    assert found, "README.md has no '## Settings' section"
    section = rest.split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or set(cells[0]) <= {"-", " "} or cells[0] == "variable":
            continue
        names = NAME.findall(cells[0])
        defaults = [d.strip() for d in cells[1].split(" / ")]
        rows.append(Row(names, defaults if len(defaults) == len(names) else [cells[1]], "|".join(cells[2:]), line))
    return rows


def problems(readme: str) -> list[str]:
    """What is wrong with the table, one sentence each; [] when it matches the settings model."""
    names = setting_names()
    rows = settings_rows(readme)
    found: list[str] = []
    seen: dict[str, Row] = {}
    for row in rows:
        if not row.names:
            found.append(f"a row names no variable: {row.line!r}")
        if not row.meaning:
            found.append(f"{row.names} have no meaning in the table")
        if len(row.defaults) != len(row.names):
            found.append(f"{row.names}: give one default per variable, separated by ' / '")
        for i, name in enumerate(row.names):
            if name in seen:
                found.append(f"{name} has two rows")
            seen[name] = row
            if name not in names:
                found.append(f"the table lists {name}, which is not a setting of bot/settings.py")
                continue
            if len(row.defaults) == len(row.names):
                found.extend(default_problems(name, row.defaults[i]))
    for field_names in names_by_field().values():
        if not field_names & set(seen):
            found.append(f"the table has no row for {min(field_names)}")
    return found


def default_problems(name: str, cell: str) -> list[str]:
    field = Settings.model_fields[setting_names()[name]]
    shown = CODE.findall(cell)
    if field.default_factory is not None:
        return []  # computed when recap starts (a path, the host name): prose says which
    if field.default is None:  # the cell says so first ("unset", "none: …"), then may explain
        return [f"{name} has no default, yet the table shows `{shown[0]}`"] if cell.startswith("`") else []
    if not shown:
        return [f"the table shows no default for {name} (it is {field.default!r})"]
    value = setting_value(name, shown[0])
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value != field.default:
        return [f"the table says {name} defaults to `{shown[0]}`, but the default is {field.default!r}"]
    return []


def test_the_readme_table_lists_every_setting_with_its_default():
    assert problems(README.read_text()) == []


# The checker's own hostile cases: a table that lies must be caught, or the test above proves nothing.


def doctored(old: str, new: str) -> list[str]:
    """The problems that replacing `old` by `new` in the README adds (whatever else is wrong with it
    is the test above's to say)."""
    text = README.read_text()
    assert old in text, f"the README no longer has {old!r}"
    before = problems(text)
    return [p for p in problems(text.replace(old, new, 1)) if p not in before]


def test_a_missing_row_is_reported():
    line = next(r.line for r in settings_rows(README.read_text()) if r.names == ["RECAP_HEALTH_PORT"])
    assert doctored(line + "\n", "") == ["the table has no row for RECAP_HEALTH_PORT"]


def test_a_row_for_no_setting_is_reported():
    line = next(r.line for r in settings_rows(README.read_text()) if r.names == ["RECAP_PROXY"])
    typo = line.replace("RECAP_PROXY", "RECAP_PROXIE")
    assert doctored(line, typo) == [
        "the table lists RECAP_PROXIE, which is not a setting of bot/settings.py",
        "the table has no row for RECAP_PROXY",
    ]


def test_a_wrong_or_missing_default_is_reported():
    rows = settings_rows(README.read_text())
    line = next(r.line for r in rows if r.names == ["RECAP_JOB_CONCURRENCY"])
    wrong = line.replace("| `2` |", "| `4` |")
    assert doctored(line, wrong) == ["the table says RECAP_JOB_CONCURRENCY defaults to `4`, but the default is 2"]
    none = line.replace("| `2` |", "| two |")
    assert doctored(line, none) == ["the table shows no default for RECAP_JOB_CONCURRENCY (it is 2)"]
    pair = next(r.line for r in rows if r.names == ["RECAP_CLAUDE_TIMEOUT_S", "RECAP_CLAUDE_MAX_RETRIES"])
    assert doctored(pair, pair.replace("`120` / `4`", "`120` / `5`")) == [
        "the table says RECAP_CLAUDE_MAX_RETRIES defaults to `5`, but the default is 4"
    ]
    assert doctored(pair, pair.replace("`120` / `4`", "`120`")) == [
        "['RECAP_CLAUDE_TIMEOUT_S', 'RECAP_CLAUDE_MAX_RETRIES']: give one default per variable, separated by ' / '"
    ]


def test_a_setting_without_a_default_shows_none():
    line = next(r.line for r in settings_rows(README.read_text()) if r.names == ["RECAP_PROXY"])
    assert doctored(line, line.replace("| unset |", "| `http://proxy:3128` |")) == [
        "RECAP_PROXY has no default, yet the table shows `http://proxy:3128`"
    ]


def test_a_duplicate_row_is_reported():
    line = next(r.line for r in settings_rows(README.read_text()) if r.names == ["RECAP_PROXY"])
    assert doctored(line, line + "\n" + line) == ["RECAP_PROXY has two rows"]
