"""Small public data sets shipped in the package (see README.md here for sources)."""

from __future__ import annotations

from pathlib import Path

from rnnkit.errors import DataError

HERE = Path(__file__).parent

# name -> (relative path, description, tasks that read it)
SHIPPED: dict[str, tuple[str, str, str]] = {
    "daily-min-temperatures": (
        "daily-min-temperatures.csv",
        "Melbourne daily minimum temperature 1981-1990, 3,650 days (deg C)",
        "regress, forecast",
    ),
    "airpassengers": (
        "AirPassengers.csv",
        "monthly airline passengers 1949-1960, 144 months (thousands)",
        "forecast",
    ),
    "names": (
        "names",
        "20,074 surnames in 18 languages, one file per language",
        "classify (format folder), lm (conditional)",
    ),
}


def path(name: str) -> Path:
    """Absolute path of a shipped data set; a ValueError lists the known names."""
    key = name.lower()
    if key not in SHIPPED:
        raise DataError(f"no shipped data set {name!r}; known: {', '.join(SHIPPED)}")
    return HERE / SHIPPED[key][0]


def resolve(value: str, default: str) -> Path:
    """A data path from a config: '' means the shipped ``default``; 'rnnkit:NAME' a shipped set."""
    if not value:
        return path(default)
    if value.startswith("rnnkit:"):
        return path(value.split(":", 1)[1])
    return Path(value).expanduser()
