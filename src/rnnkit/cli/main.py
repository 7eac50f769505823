"""The ``rnnkit`` command line: ``rnnkit COMMAND ...``.

Exit codes: 0 success; 2 bad usage or bad input: an :class:`~rnnkit.errors.RnnkitError`
(one line on stderr, no traceback); 1 a training that diverged (one line), or an unexpected
failure, i.e. a bug: one line saying where the traceback was written (the run's
``error.log`` when there is a run folder, else a file in the temporary folder).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

from rnnkit.errors import NonFiniteLossError, RnnkitError

# command -> (module with register(subparsers, help), one-line help). Only the module of
# the command being run is imported, so `rnnkit --version` and `rnnkit --help` load neither
# torch nor matplotlib.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("rnnkit.cli.init", "write a commented starter config for a task"),
    "train": ("rnnkit.cli.train", "train a model from a TOML config"),
    "evaluate": ("rnnkit.cli.evaluate", "evaluate a trained run"),
    "predict": ("rnnkit.cli.predict", "predict with a trained run, one input per line"),
    "generate": ("rnnkit.cli.generate", "sample text from a trained language model (task lm)"),
    "report": ("rnnkit.cli.report", "rebuild report.html of a run"),
    "export": ("rnnkit.cli.export", "export a run's model to TorchScript or ONNX"),
    "forecast": ("rnnkit.cli.forecast", "train, apply and compare forecasters on a CSV"),
    "demo": ("rnnkit.cli.demo", "run a seed walk-through or experiment"),
    "datasets": ("rnnkit.cli.datasets", "list shipped data sets and the formats tasks read"),
    "lr-find": ("rnnkit.cli.lr_find", "learning-rate range test: suggest train.lr for a config"),
    "tune": ("rnnkit.cli.tune", "search hyperparameters with Optuna (extra rnnkit[tune])"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _command(argv: list[str]) -> str | None:
    """The command named in ``argv`` (the first argument that is not an option), if any."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of ``rnnkit``. Only the command named in ``argv`` gets its full parser (its
    module is imported then); the others are listed with their one-line help."""
    from rnnkit.version import __version__

    parser = _Parser(
        prog="rnnkit",
        description="Recurrent neural networks: train, evaluate, predict and explore.",
        epilog="Run `rnnkit COMMAND -h` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    chosen = _command(list(argv or []))
    for name, (module, help_text) in COMMANDS.items():
        if name == chosen:
            importlib.import_module(module).register(sub, help_text)
        else:
            sub.add_parser(name, help=help_text, description=help_text)
    return parser


def _one_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    if isinstance(err, KeyError) and len(err.args) == 1:
        text = str(err.args[0])
    return " ".join(text.split())


def _warning_line(command: str):
    """A ``warnings.formatwarning`` giving ``rnnkit COMMAND: warning: MESSAGE``, one line
    (Python's own format adds the file, the line number and the source line of the call)."""

    def format_warning(message, category, filename, lineno, line=None) -> str:
        return f"rnnkit {command}: warning: {' '.join(str(message).split())}\n"

    return format_warning


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    warnings.filterwarnings("ignore", message=".*LSTM with projections is not supported.*")
    python_format, warnings.formatwarning = warnings.formatwarning, _warning_line(args.command)
    try:
        return _run(args)
    finally:
        warnings.formatwarning = python_format


def _run(args) -> int:
    """The command's exit code: 2 for the user's input, 1 for a failure, 130 if interrupted."""
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("rnnkit: interrupted", file=sys.stderr)
        return 130
    except NonFiniteLossError as err:  # a training failure with a clear cause: no traceback
        print(f"rnnkit {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 1
    except RnnkitError as err:  # the user's input: one line naming the problem
        print(f"rnnkit {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # a bug: keep the traceback
        where = _write_traceback(getattr(args, "error_log", None))
        print(
            f"rnnkit {args.command}: unexpected failure: {_one_line(err)} (traceback in {where})",
            file=sys.stderr,
        )
        return 1


def _write_traceback(log: Path | None) -> Path:
    """Write the current traceback to the run's ``error.log`` (or a temporary file)."""
    from rnnkit.io import atomic_write_text

    text = traceback.format_exc()
    if log is not None:
        try:
            return atomic_write_text(log, text)
        except RnnkitError:  # the run folder cannot be written: use the temporary folder
            pass
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return atomic_write_text(Path(tempfile.gettempdir()) / f"rnnkit-error-{stamp}.log", text)


if __name__ == "__main__":
    sys.exit(main())
