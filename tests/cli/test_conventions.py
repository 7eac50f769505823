"""The command line's conventions: fast start-up without torch, python -m rnnkit, a description
for every command, -q, -o/--output for files and --out for run folders, rnnkit init."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from rnnkit.cli.init import STARTERS, examples
from rnnkit.cli.main import COMMANDS, build_parser
from rnnkit.config import load_config, tomllib
from rnnkit.version import __version__

HEAVY = ("torch", "matplotlib")


def test_import_parser_and_version_load_neither_torch_nor_matplotlib():
    code = (
        "import sys\n"
        "import rnnkit\n"
        "from rnnkit.cli.main import build_parser, main\n"
        "build_parser([])\n"
        "build_parser(['--help'])\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit as stop:\n"
        "    assert stop.code == 0\n"
        f"print(rnnkit.__version__, [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"rnnkit {__version__}", f"{__version__} []"]


def test_python_dash_m_rnnkit_is_the_cli():
    done = subprocess.run(
        [sys.executable, "-m", "rnnkit", "--version"], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (0, f"rnnkit {__version__}\n")


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_and_subcommand_has_a_description(name):
    command = subparsers(build_parser([name]))[name]
    assert command.description, name
    for sub_name, sub in subparsers(command).items():
        assert sub.description, f"{name} {sub_name}"


def options(parser: argparse.ArgumentParser) -> dict[str, str]:
    return {o: a.dest for a in parser._actions for o in a.option_strings}


def test_short_flags_and_what_out_means():
    train = subparsers(build_parser(["train"]))["train"]
    assert options(train)["-q"] == "quiet" and options(train)["--out"] == "out"  # a run folder
    for name in ("predict", "export", "init"):
        parser = subparsers(build_parser([name]))[name]
        assert options(parser)["-o"] == options(parser)["--output"] == "output"  # a file
    forecast = subparsers(subparsers(build_parser(["forecast"]))["forecast"])
    assert options(forecast["predict"])["-o"] == "output"
    assert options(forecast["predict"])["--out"] == "output"  # the old spelling, hidden
    assert options(forecast["train"])["-q"] == "quiet"


def test_export_out_still_works_as_a_hidden_alias():
    parser = build_parser(["export"])
    assert parser.parse_args(["export", "RUN", "--out", "m.pt"]).output == "m.pt"
    assert "--out " not in subparsers(parser)["export"].format_help()


@pytest.mark.parametrize("task", list(STARTERS))
def test_init_writes_a_starter_config_for_every_task(task, tmp_path, capsys):
    from rnnkit.cli.main import main

    out = tmp_path / f"{task}.toml"
    assert main(["init", task, "-o", str(out)]) == 0
    assert capsys.readouterr().out == (
        f"wrote {out} (from the example {STARTERS[task]}); train it with: rnnkit train {out}\n"
    )
    text = out.read_text()
    assert text.startswith(f"# {task}: ") and tomllib.loads(text)["task"] == task
    assert load_config(out).task == task
    assert main(["init", task, "-o", str(out)]) == 2  # never overwritten silently
    assert capsys.readouterr().err == (
        f"rnnkit init: error: {out} exists; choose another --output or pass --force\n"
    )


def test_example_configs_ship_in_the_package():
    shipped = examples()
    assert set(STARTERS.values()) <= set(shipped)
    for path in shipped.values():
        assert "rnnkit/examples" in path.as_posix()
