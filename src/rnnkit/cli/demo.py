"""``rnnkit demo NAME [options]``: the seed walk-throughs and experiments."""

from __future__ import annotations

from rnnkit.demos import DEMOS, load


def register(sub, help_text: str) -> None:
    parser = sub.add_parser(
        "demo",
        help=help_text,
        description="Run a seed walk-through or experiment (`rnnkit demo NAME -h` for its "
        "options).",
    )
    demos = parser.add_subparsers(dest="demo", metavar="NAME", parser_class=type(parser))
    demos.required = True
    for name, (_, help_text) in DEMOS.items():
        p = demos.add_parser(name, help=help_text, description=help_text)
        load(name).add_arguments(p)
        p.set_defaults(func=lambda args: load(args.demo).run(args))
