"""rnnkit.cli."""


def add_set_option(parser, example: str = "model.hidden_size=128") -> None:
    """``--set KEY=VALUE`` (repeatable) into ``args.overrides``: any config value."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override a config value, e.g. --set {example} (repeatable)",
    )
