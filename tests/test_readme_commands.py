"""Every ``minsec`` command in the README works straight after ``make demo``, as written.

The set-up is what ``make demo`` leaves in a checkout: ``./.minsec/minsec.duckdb`` with the
embedded default data (here the suite's copy of it) and ``examples/``. Each command of the
README's code blocks then runs in that checkout with neither ``MINSEC_HOME`` nor
``MINSEC_STORE`` set, so the CLI must find ``./.minsec`` by itself. Placeholders a user fills
in (``inc_…``, their own files) are filled the way a user would; a command that cannot run
here has its reason in :data:`NOT_RUN`, and a README command the test does not know fails
the test, so a new command in the README is either run here or explained.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED_DATA

pytestmark = pytest.mark.default_data

NOT_RUN = {
    "minsec data import baci BACI_HS17_Y2024_V202501.csv": (
        "a full CEPII BACI file (about 2 GB, downloaded by the user); the BACI parser is "
        "tested on files in that layout in tests/sources"
    ),
    "minsec risk -c graphite -i USA,JPN --runs 1000000 --backend dask --scheduler "
    "tcp://host:8786": (
        "needs the user's Dask scheduler (tcp://host:8786 is a placeholder); the Dask backend "
        "is tested on a LocalCluster in tests/disrupt/test_montecarlo.py"
    ),
    "minsec scenarios backtest --cross-validate": (
        "one fit per real case, over a minute on the default data; the same command on two "
        "cases is tested in tests/disrupt/test_backtest_cli.py, the cross-validation itself "
        "in tests/disrupt/test_backtest_fit.py"
    ),
    "minsec serve --port 8000": (
        "a long-running server; tests/api and tests/web start it and use every route"
    ),
}

# files the README leaves to the user, and where this test finds an equivalent
USER_FILES = {
    "wgidataset_2024update.xlsx": ("wgi", "*.xlsx"),
    "ICMM_global-mining-dataset.xlsx": ("facilities_icmm", "*.xlsx"),
}


def readme_commands() -> list[str]:
    """The ``minsec …`` lines of the README's code blocks (continuations joined)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", text, flags=re.S)
    out: list[str] = []
    for block in blocks:
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            command = re.split(r"\s#\s", line)[0].strip()
            if command.startswith("minsec "):
                out.append(re.sub(r"\s+", " ", command))
    return out


COMMANDS = readme_commands()


@pytest.fixture
def checkout(tmp_path: Path, default_store_path: Path) -> Path:
    """A folder laid out as a checkout after ``make demo``."""
    root = tmp_path / "checkout"
    root.mkdir()
    (root / ".minsec").mkdir()
    shutil.copy(default_store_path, root / ".minsec" / "minsec.duckdb")
    shutil.copytree(ROOT / "examples", root / "examples")
    if SHARED_DATA.exists():  # ../shared beside the checkout, as in CI
        (root.parent / "shared").symlink_to(SHARED_DATA.parent, target_is_directory=True)
    # the user's own scenario file: a named scenario copied and edited
    from minsec.disrupt.scenario import named_scenarios

    spec = named_scenarios()["china-graphite-2023"].model_dump(mode="json", exclude_none=True)
    spec["name"] = "my-scenario"
    spec["events"][0]["fraction"] = 0.5
    (root / "my_scenario.yaml").write_text(json.dumps(spec), encoding="utf-8")
    return root


def _fill(command: str, root: Path, state: dict[str, str]) -> list[str] | str:
    """The command with the user's placeholders filled, or why it cannot run here."""
    if command in NOT_RUN:
        return NOT_RUN[command]
    for name, (folder, pattern) in USER_FILES.items():
        if name in command:
            found = sorted((SHARED_DATA / folder).glob(pattern))
            if not found:
                return f"{name} is the user's download; ../shared/data/{folder} is absent"
            command = command.replace(name, str(found[0]))
    if "../shared/data" in command and not SHARED_DATA.exists():
        return "../shared/data is absent"
    if "li-busch-" in command and "busch" not in state:
        return "the Busch projects come from ../shared/data, which is absent"
    if "my_projects.csv" in command:
        sample = root / "my_projects.csv"
        sample.write_text(
            "project_id,name,commodity,country,stage,status,capacity_tpy,capex_musd\n"
            "demo-001,Demo mine,lithium,AUS,mine,feasibility,20000,450\n",
            encoding="utf-8",
        )
    if "inc_…" in command:
        if "incident" not in state:
            return "no incident was created by the README's create command"
        command = command.replace("inc_…", state["incident"])
    import shlex

    return shlex.split(command)[1:]


def _run(command: str, root: Path, state: dict[str, str]) -> str | None:
    """Run one README command in the checkout: None when it worked, else what went wrong."""
    args = _fill(command, root, state)
    if isinstance(args, str):
        assert command in NOT_RUN or "absent" in args, args
        return None
    env = {k: v for k, v in os.environ.items() if k not in {"MINSEC_HOME", "MINSEC_STORE"}}
    env["MINSEC_USER"] = ""
    env["COLUMNS"] = "100"
    proc = subprocess.run(
        [sys.executable, "-m", "minsec.cli", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if proc.returncode != 0:
        return f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    if args[:2] == ["projects", "import"] and "lithium-projects" in args:
        state["busch"] = "imported"
    if args[:2] == ["incidents", "create"]:
        found = re.search(r"\b(inc_[0-9a-z]+)\b", proc.stdout + proc.stderr)
        if not found:
            return f"no incident id in the output: {proc.stderr[-500:]}"
        state["incident"] = found.group(1)
    if args[:2] == ["data", "status"]:
        meta = json.loads(proc.stdout)["meta"]
        if not meta["store_chosen_by"].startswith(".minsec found in"):
            return f"the store was not found in the checkout: {meta}"
    if "--out" in args:
        out = root / args[args.index("--out") + 1]
        if not list(out.glob("*.html")) or not list(out.glob("*.pdf")):
            return f"no HTML and PDF in {out}"
    return None


def test_readme_commands_in_order(checkout: Path) -> None:
    # one test, the commands in README order: later ones use what earlier ones made (users,
    # projects, an incident), which tests spread over workers could not guarantee
    state: dict[str, str] = {}
    failed = {}
    for command in COMMANDS:
        problem = _run(command, checkout, state)
        if problem is not None:
            failed[command] = problem
    assert not failed, "\n\n".join(f"{c}\n{p}" for c, p in failed.items())


def test_every_readme_command_is_known() -> None:
    assert len(COMMANDS) >= 25
    unknown_placeholders = [c for c in COMMANDS if "…" in c and "inc_…" not in c]
    assert not unknown_placeholders
