"""The layer contracts in .importlinter: kept by the repository, broken on purpose by a tiny tree.

Both run `lint-imports` as a child process (through the `processes` fixture) the way
.ci/run does; the tiny tree gets the repository's .importlinter unchanged, an empty
package for each of its root packages, a copy of the cycle contract type, and three
faults: civic importing api, telemetry.a and telemetry.b importing each other, and a
cycle closed only under `if TYPE_CHECKING:` (which the cycle contract lets pass).
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.layers.contracts import shortest_cycle, tangles
from tests.support.processes import Processes

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / ".importlinter"
CONTRACT_TYPE = Path(__file__).with_name("contracts.py")

FAULTS = {
    "api/routes.py": "ROUTES: list[str] = []\n",
    "civic/board.py": '"""A domain reaching up into the HTTP layer."""\n\nfrom api.routes import ROUTES\n',
    "telemetry/a.py": "import telemetry.b\n",
    "telemetry/b.py": '"""Back to a."""\n\nimport telemetry.a\n',
    "telemetry/c.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import telemetry.d\n",
    "telemetry/d.py": "import telemetry.c\n",
}


def lint_imports(processes: Processes, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` in `cwd` with only `cwd` importable, its report unwrapped and uncoloured."""
    program = Path(sys.executable).with_name("lint-imports")
    argv = [program if program.exists() else shutil.which("lint-imports"), "--no-cache"]
    env = os.environ | {"PYTHONPATH": str(cwd), "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    return processes.run(argv, cwd=cwd, env=env, timeout=300)


def contract_names() -> dict[str, str]:
    config = configparser.ConfigParser()
    config.read(CONFIG)
    prefix = "importlinter:contract:"
    return {
        section.removeprefix(prefix): config[section]["name"]
        for section in config.sections()
        if section.startswith(prefix)
    }


def fake_project(root: Path) -> None:
    config = configparser.ConfigParser()
    config.read(CONFIG)
    for package in config["importlinter"]["root_packages"].split():
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
    (root / "tests/layers").mkdir()
    (root / "tests/layers/__init__.py").write_text("")
    shutil.copyfile(CONTRACT_TYPE, root / "tests/layers/contracts.py")
    shutil.copyfile(CONFIG, root / ".importlinter")
    for path, text in FAULTS.items():
        (root / path).write_text(text)


def test_the_repository_keeps_its_layer_contracts(processes: Processes) -> None:
    result = lint_imports(processes, REPO)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert f"Contracts: {len(contract_names())} kept, 0 broken." in report


def test_a_broken_layer_and_a_cycle_are_named_with_their_chains(
    processes: Processes, tmp_path: Path
) -> None:
    fake_project(tmp_path)
    result = lint_imports(processes, tmp_path)
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    names = contract_names()
    broken = {
        "components-import-telemetry-and-stores-only",
        "api-imported-by-tests-only",
        "no-import-cycles",
    }
    assert f"Contracts: {len(names) - len(broken)} kept, {len(broken)} broken." in report
    for contract_id, name in names.items():
        assert f"{name} {'BROKEN' if contract_id in broken else 'KEPT'}" in report

    layer = broken_section(report, names["components-import-telemetry-and-stores-only"])
    assert "civic is not allowed to import api:" in layer
    assert "civic.board -> api.routes (l.3)" in layer
    assert "belongs in telemetry" in layer  # the contract's guidance
    protected = broken_section(report, names["api-imported-by-tests-only"])
    assert "Illegal imports of protected package api:" in protected
    assert "- civic.board -> api.routes (l.3)" in protected
    cycles = broken_section(report, names["no-import-cycles"])
    assert "Import cycle: telemetry.a imports itself back through 2 imports:" in cycles
    assert "- telemetry.a -> telemetry.b (l.1)\n- telemetry.b -> telemetry.a (l.3)" in cycles
    assert "telemetry.c" not in cycles  # its cycle closes only for the type checker


def broken_section(report: str, name: str) -> str:
    """What the report says under a broken contract's heading, up to the next heading."""
    details = report.split("Broken contracts", 1)[1]
    heading = f"\n{name}\n{'-' * len(name)}\n"
    assert heading in details, details
    text = details.split(heading, 1)[1]
    following = re.search(r"\n[^\n]+\n-{3,}\n", text)
    return text[: following.start()] if following else text


def test_tangles_and_their_shortest_cycles() -> None:
    imports = {
        "a": {"b"},
        "b": {"c"},
        "c": {"a", "d"},
        "d": {"d"},
        "e": {"a"},
        "f": {"g"},
        "g": {"a", "f"},
    }
    assert tangles(imports) == [["a", "b", "c"], ["d"], ["f", "g"]]
    assert shortest_cycle(imports, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert shortest_cycle(imports, ["d"]) == ["d", "d"]
    assert shortest_cycle({"a": {"b", "c"}, "b": {"a"}, "c": {"b"}}, ["a", "b", "c"]) == [
        "a",
        "b",
        "a",
    ]
