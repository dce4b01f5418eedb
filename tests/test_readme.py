"""The README stays short and true: two commands, the test command the one CI runs, links that resolve."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def two_commands() -> list[str]:
    section = README.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_the_readme_is_at_most_200_lines():
    assert len(README.splitlines()) <= 200


def test_the_readme_has_two_commands_each_one_line_installing_the_pinned_versions():
    commands = two_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    assert all("-c constraints.txt" in c for c in commands)
    assert commands[1].endswith("python -m pytest")


def test_ci_runs_the_readmes_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert two_commands()[1] in ci


def test_every_relative_link_of_the_readme_resolves():
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target


def test_the_times_quoted_come_from_the_measurement_script():
    times = (ROOT / "docs" / "TIMES.md").read_text()
    assert "experiments/measure_times.py" in times and "load" in times
    assert re.search(r"\| \d[\d,]* s", times)
