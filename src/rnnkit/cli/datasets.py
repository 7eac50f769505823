"""``rnnkit datasets``: the data shipped in the package and the formats each task reads."""

from __future__ import annotations

import argparse


def register(sub, help_text: str) -> None:
    p = sub.add_parser(
        "datasets",
        help=help_text,
        description="List the data sets shipped in the package and the data "
        "formats each task reads.",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from rnnkit import datasets
    from rnnkit.tasks import TASKS, get_task_class

    print('Shipped data sets (use as data.train = "rnnkit:NAME"):')
    for name, (rel, text, tasks) in datasets.SHIPPED.items():
        print(f"  {name:<24} {text}\n  {'':<24} {datasets.HERE / rel}  [tasks: {tasks}]")
    print("\nTasks and the data formats they read:")
    for name in TASKS:
        cls = get_task_class(name)
        fields = {f.name: f.default for f in dataclasses.fields(cls.data_config)}
        doc = cls.__module__ and __import__(cls.__module__, fromlist=["x"]).__doc__ or ""
        summary = " ".join(doc.split("\n\n")[0].split())
        print(f"  {name:<10} format = {fields.get('format')!r:<10} {summary}")
    return 0
