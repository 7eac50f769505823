"""Two processes under torchrun (gloo, CPU) train exactly what one process trains with the
same global batch."""

from __future__ import annotations

import os
import subprocess
import sys

import torch

from rnnkit.train.checkpoint import load_checkpoint, model_state

CONFIG = """
task = "regress"
[data]
window = 10
test_size = 365
[model]
cell = "gru"
hidden_size = 8
[train]
epochs = 1
max_steps = 12
batch_size = 8
optimizer = "adam"
lr = 0.01
eval_every = 6
log_every = 1
"""


DIST_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def run(args):
    env = {k: v for k, v in os.environ.items() if k not in DIST_VARS}
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)


def test_two_gloo_processes_equal_one(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG)
    cli = [sys.executable, "-m", "rnnkit.cli.main", "train", str(cfg), "--quiet", "--out"]
    single = run([*cli, str(tmp_path / "one")])
    assert single.returncode == 0, single.stderr
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--master_port=29517",
        "-m",
        "rnnkit.cli.main",
        "train",
        str(cfg),
        "--quiet",
        "--out",
        str(tmp_path / "two"),
    ]
    double = run(torchrun)
    assert double.returncode == 0, double.stderr[-3000:]
    one = model_state(load_checkpoint(tmp_path / "one" / "checkpoints" / "last.safetensors")[0])
    two = model_state(load_checkpoint(tmp_path / "two" / "checkpoints" / "last.safetensors")[0])
    assert one.keys() == two.keys()
    for name in one:
        torch.testing.assert_close(two[name], one[name], atol=1e-5, rtol=1e-4, msg=name)
    a = (tmp_path / "one" / "metrics.csv").read_text().splitlines()
    b = (tmp_path / "two" / "metrics.csv").read_text().splitlines()
    assert len(a) == len(b) and a[0] == b[0]  # rank 0 alone wrote one metrics file
