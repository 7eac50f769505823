"""``train.num_threads``: the "auto" rule, its config messages, and the threads a run ends on."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnnkit.config import config_from_dict
from rnnkit.errors import ConfigError
from rnnkit.train import fit
from rnnkit.train import threads as th
from rnnkit.train.threads import Threads, free_cores, inference_threads, others_load


@pytest.fixture(autouse=True)
def restore_threads():
    """Every test here changes torch's thread count: put it back."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def machine(monkeypatch, cores: int, load: float) -> None:
    monkeypatch.setattr(th, "usable_cores", lambda: cores)
    monkeypatch.setattr(th, "others_load", lambda: load)


def feed(threads: Threads, seconds: list[float]) -> list[bool]:
    return [threads.update(s) for s in seconds]


# ---- the rule ------------------------------------------------------------------------------
def test_one_core_decides_one_thread_at_once(monkeypatch):
    machine(monkeypatch, cores=1, load=0.0)
    threads = Threads("auto")
    assert threads.sentence == "threads: 1 (auto: one core)"
    assert torch.get_num_threads() == 1
    assert feed(threads, [1.0] * 10) == [False] * 10  # nothing left to time


def test_a_busy_machine_decides_one_thread_at_once(monkeypatch):
    machine(monkeypatch, cores=2, load=1.0)
    threads = Threads("auto")
    assert threads.sentence == (
        "threads: 1 (auto: busy machine, 1 of 2 cores in use by other processes)"
    )
    assert torch.get_num_threads() == 1


def test_a_small_step_stays_on_one_thread_without_trying_two(monkeypatch):
    machine(monkeypatch, cores=2, load=0.0)
    threads = Threads("auto")
    assert not threads.decided and torch.get_num_threads() == 1
    # step 1 is the warm-up (its 5 s is not counted); steps 2-4 take 2, 3, 4 ms
    assert feed(threads, [5.0, 0.002, 0.004, 0.003]) == [False, False, False, True]
    assert threads.sentence == "threads: 1 (auto: small step, 3 ms at 1 thread < 6 ms)"
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize(
    ("at_two", "chosen", "sentence"),
    [
        (0.06, 2, "threads: 2 (auto: 60 ms a step at 2 threads, 100 ms at 1)"),
        (0.25, 1, "threads: 1 (auto: 250 ms a step at 2 threads, 100 ms at 1)"),
    ],
)
def test_a_large_step_keeps_the_faster_of_one_and_two_threads(
    monkeypatch, at_two, chosen, sentence
):
    machine(monkeypatch, cores=2, load=0.0)
    threads = Threads("auto")
    assert feed(threads, [1.0, 0.1, 0.1, 0.1]) == [False] * 4
    assert torch.get_num_threads() == 2  # now timing two threads
    # step 5 starts the thread pool (9 s, not counted), steps 6-8 are timed
    assert feed(threads, [9.0, at_two, at_two, at_two]) == [False, False, False, True]
    assert threads.sentence == sentence
    assert torch.get_num_threads() == chosen


def test_an_integer_is_set_as_is_and_zero_keeps_torchs_default(monkeypatch):
    machine(monkeypatch, cores=1, load=0.0)  # an integer ignores the machine
    assert Threads(2).sentence == "threads: 2 (train.num_threads = 2)"
    assert torch.get_num_threads() == 2
    torch.set_num_threads(3)
    assert Threads(0).sentence == "threads: 3 (torch's default)"
    assert torch.get_num_threads() == 3


def test_processes_share_the_cores(monkeypatch):
    machine(monkeypatch, cores=4, load=0.0)
    assert Threads("auto", processes=4).sentence == "threads: 1 (auto: one core)"


@pytest.mark.parametrize(
    ("cores", "load", "free"), [(2, 0.0, 2), (2, 1.0, 1), (2, 0.4, 2), (16, 3.6, 12), (2, 5, 1)]
)
def test_free_cores_are_the_cores_less_the_other_load(cores, load, free):
    assert free_cores(cores, load) == free


def test_the_other_load_is_the_median_of_procs_running_less_this_process(monkeypatch):
    readings = iter([3, 1, 2, 9, 2, 1, 3])  # median 2, one of them this process
    monkeypatch.setattr(th, "_procs_running", lambda: next(readings))
    assert others_load(samples=7, interval=0.0) == 1.0


def test_inference_uses_one_thread_below_the_model_size_and_the_free_cores_above(monkeypatch):
    machine(monkeypatch, cores=2, load=0.0)
    small, large = nn.Linear(10, 10), nn.Linear(1000, 500)  # 110 and 500,500 parameters
    assert inference_threads("auto", small) == 1 and torch.get_num_threads() == 1
    assert inference_threads("auto", large) == 2 and torch.get_num_threads() == 2
    machine(monkeypatch, cores=2, load=1.0)
    assert inference_threads("auto", large) == 1
    assert inference_threads(3, small) == 3 and torch.get_num_threads() == 3


# ---- the config ----------------------------------------------------------------------------
def raw(num_threads) -> dict:
    return {"task": "sincos", "train": {"num_threads": num_threads}}


def test_auto_is_the_default_and_integers_still_work():
    assert config_from_dict({"task": "sincos"}).train.num_threads == "auto"
    assert config_from_dict(raw("auto")).train.num_threads == "auto"
    assert config_from_dict(raw(4)).train.num_threads == 4


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("many", "train.num_threads must be \"auto\" or an integer >= 0, received 'many'"),
        ("Auto", "train.num_threads must be \"auto\" or an integer >= 0, received 'Auto'"),
        (-1, 'train.num_threads must be "auto" or an integer >= 0, received -1'),
        (1.5, "train.num_threads must be int or str, received 1.5 (float)"),
        (True, "train.num_threads must be int or str, received True (bool)"),
    ],
)
def test_a_wrong_num_threads_is_refused_with_the_key_the_expectation_and_the_value(value, message):
    with pytest.raises(ConfigError) as err:
        config_from_dict(raw(value))
    assert str(err.value) == message


# ---- a run ---------------------------------------------------------------------------------
def test_auto_sets_the_threads_it_prints(monkeypatch, tmp_path, make, tiny, capsys):
    machine(monkeypatch, cores=2, load=0.0)
    monkeypatch.setattr(th, "SMALL_STEP_MS", 0.0)  # every step is large: time 1 and 2 threads
    config, task = make(tiny(epochs=3))  # 12 steps: decided at step 8
    assert config.train.num_threads == "auto"
    fit(task, config, tmp_path / "run")
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("threads:")]
    assert len(lines) == 1
    assert lines[0].startswith(f"threads: {torch.get_num_threads()} (auto: ")
    assert " ms a step at 2 threads, " in lines[0]


def test_a_small_run_prints_its_choice_at_the_start(monkeypatch, tmp_path, make, tiny, capsys):
    machine(monkeypatch, cores=2, load=1.5)
    torch.set_num_threads(2)
    config, task = make(tiny(epochs=1))
    fit(task, config, tmp_path / "run")
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "threads: 1 (auto: busy machine, 1 of 2 cores in use by other processes)"
    assert out[0].startswith("training 4 steps at most")
    assert torch.get_num_threads() == 1
