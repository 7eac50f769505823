"""keep_freed_memory: a large tensor made again and again (as each training step does) is not
page-faulted in again once the heap has settled (glibc; on this machine after 1 to 7 rounds),
and RNNKIT_KEEP_MEMORY=0 leaves malloc as it was. Each case runs in a fresh interpreter,
since the setting is per process."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)

SCRIPT = """
import resource, torch
from rnnkit.nn.fast import keep_freed_memory
applied = keep_freed_memory()
def faults_of_a_fresh_64_mb_tensor():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    x = torch.ones(16 * 1024 * 1024)  # 64 MB, every page written
    del x
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
rounds = [faults_of_a_fresh_64_mb_tensor() for _ in range(16)]
print(applied, sum(rounds[-4:]))  # the heap settles within the first rounds (at most 7 seen)
"""


def run(keep: str) -> tuple[str, int]:
    env = {**os.environ, "RNNKIT_KEEP_MEMORY": keep, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True)
    applied, faults = out.stdout.split()
    return applied, int(faults)


def test_a_64_mb_tensor_made_again_reuses_the_pages_of_the_last():
    applied, faults = run("1")
    assert applied == "True"
    assert faults < 1000  # 4 x 16,384 pages of 4 KB would each fault once without it


def test_switched_off_every_page_faults_again():
    applied, faults = run("0")
    assert applied == "False"
    assert faults > 4 * 16_000


ENGINE = """
import sys, rnnkit
import rnnkit.nn.fast.memory as memory
task, out = sys.argv[1], sys.argv[2]
if task == "classify":
    train = [("good fine nice", "pos"), ("bad awful poor", "neg")] * 8
    rnnkit.fit("classify", train=train, out=out, train__epochs=1, quiet=True)
else:
    import pandas as pd
    series = pd.Series([float(i % 7) for i in range(120)])  # windows of 10, 20 held out
    rnnkit.fit("regress", train=series, out=out, data__test_size=20, train__epochs=1, quiet=True)
print(memory._applied)
"""


@pytest.mark.parametrize("task, kept", [("regress", "True"), ("classify", "None")])
def test_the_engine_keeps_freed_memory_only_for_batches_of_one_shape(tmp_path, task, kept):
    """Windows of one length reuse the same blocks at every step; batches of texts of every
    length fragment a heap that keeps everything (3x the memory in an IMDB fine-tuning)."""
    env = {**os.environ, "RNNKIT_KEEP_MEMORY": "1", "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-c", ENGINE, task, str(tmp_path / "run")], env=env,
                         capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split()[-1] == kept
