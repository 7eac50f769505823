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

# command -> module with register(subparsers)
COMMANDS: dict[str, str] = {
    "train": "rnnkit.cli.train",
    "evaluate": "rnnkit.cli.evaluate",
    "predict": "rnnkit.cli.predict",
    "report": "rnnkit.cli.report",
    "export": "rnnkit.cli.export",
    "demo": "rnnkit.cli.demo",
    "datasets": "rnnkit.cli.datasets",
    "forecast": "rnnkit.cli.forecast",
    "generate": "rnnkit.cli.generate",
    "lr-find": "rnnkit.cli.lr_find",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rnnkit",
        description="Recurrent neural networks: train, evaluate, predict and explore.",
    )
    from rnnkit import __version__

    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS.values():
        importlib.import_module(module).register(sub)
    return parser


def _one_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    if isinstance(err, KeyError) and len(err.args) == 1:
        text = str(err.args[0])
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*LSTM with projections is not supported.*")
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
