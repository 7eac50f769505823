"""More generation checks: scheduled teacher forcing in seq2seq, a separate validation text
for task lm, and a conditional names run that saves and loads to the same model."""

from __future__ import annotations

import random
import string

import pytest
import torch
import torch.nn.functional as F

from rnnkit.cli.main import main
from rnnkit.errors import DataError
from rnnkit.tasks.runs import load_run
from rnnkit.train import fit

# ---- 1. seq2seq: teacher forcing between 0 and 1 ------------------------------------------


def _pairs_file(tmp_path, count: int = 64):
    """``word<TAB>reversed word`` lines of 5 to 8 random letters (seeded)."""
    rng = random.Random(0)
    words = ["".join(rng.choices(string.ascii_lowercase[:8], k=rng.randint(5, 8)))
             for _ in range(count)]  # fmt: skip
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"{w}\t{w[::-1]}\n" for w in words), encoding="utf-8")
    return path


def _seq2seq_task(tmp_path, make, ratio: float):
    """A set-up seq2seq task (all 64 pairs in one training batch) and its untrained model."""
    path = _pairs_file(tmp_path)
    raw = {
        "task": "seq2seq",
        "data": {"format": "tsv", "train": str(path), "validation": str(path)},
        "model": {"cell": "gru", "hidden_size": 12, "embedding_dim": 6,
                  "teacher_forcing": ratio},
        "train": {"batch_size": 64, "seed": 0},
    }  # fmt: skip
    config, task = make(raw)
    task.setup()
    torch.manual_seed(0)
    return task, task.build_model().train()


def _decoder_inputs(task, model, monkeypatch, seed: int = 0):
    """One training step of the task with ``Seq2Seq.step`` spied on: the gold previous
    tokens ``(N, T)`` (= tgt_in), the ids actually fed to the decoder ``(N, T)``, and the
    model's own argmax of the step before each one ``(N, T)`` (column 0: ``<s>``)."""
    fed, own = [], []
    real_step = type(model).step.__get__(model)  # the method itself, even if spied on

    def spy(prev, state, feed, memory):
        fed.append(prev.clone())
        logits, state, feed, weights = real_step(prev, state, feed, memory)
        own.append(logits.argmax(-1))
        return logits, state, feed, weights

    monkeypatch.setattr(model, "step", spy)
    batch = next(iter(task.train_batches(0)))
    torch.manual_seed(seed)
    loss, _ = task.training_step(model, batch, None)
    assert torch.isfinite(loss)
    fed_t = torch.stack(fed, 1)
    own_t = torch.cat([fed_t[:, :1], torch.stack(own[:-1], 1)], 1)  # prediction of step t-1
    return batch[2], fed_t, own_t


def test_teacher_forcing_one_feeds_only_the_gold_tokens(tmp_path, make, monkeypatch):
    task, model = _seq2seq_task(tmp_path, make, 1.0)
    gold, fed, own = _decoder_inputs(task, model, monkeypatch)
    assert gold.shape == (64, 9)  # <s> + up to 8 letters
    assert (gold[:, 1:] != own[:, 1:]).any()  # the model's own guesses differ somewhere...
    assert torch.equal(fed, gold)  # ...yet every input is gold


def test_teacher_forcing_zero_feeds_only_its_own_predictions(tmp_path, make, monkeypatch):
    task, model = _seq2seq_task(tmp_path, make, 0.0)
    gold, fed, own = _decoder_inputs(task, model, monkeypatch)
    assert (gold[:, 1:] != own[:, 1:]).float().mean() > 0.5
    assert torch.equal(fed, own)  # each step reads the argmax of the step before
    assert torch.all(fed[:, 0] == task.tgt_vocab.stoi["<s>"])  # the first is always <s>


@pytest.mark.parametrize("ratio", [0.5, 0.2])
def test_teacher_forcing_ratio_mixes_gold_and_own_tokens(tmp_path, make, monkeypatch, ratio):
    task, model = _seq2seq_task(tmp_path, make, ratio)
    gold, fed, own = _decoder_inputs(task, model, monkeypatch, seed=0)
    # every input is either the gold token or the model's own previous prediction
    assert torch.all((fed == gold) | (fed == own))
    assert torch.all(fed[:, 0] == gold[:, 0])  # <s> is never replaced
    # where the two differ, the fed token tells which was chosen
    differ = gold != own
    differ[:, 0] = False
    took_gold = (fed == gold)[differ]
    assert differ.sum() > 300  # enough decisions for the frequency below
    assert took_gold.any() and (~took_gold).any()  # a mix, not all of one kind
    assert abs(took_gold.float().mean().item() - ratio) < 0.1  # at the configured rate
    # chosen per example and step: some single sequence gets both kinds of input
    rows_gold = ((fed == gold) & differ).any(1)
    rows_own = ((fed == own) & differ).any(1)
    assert (rows_gold & rows_own).any()
    # and not once for the whole batch: at every step some examples get each kind
    cols_gold = ((fed == gold) & differ).any(0)
    cols_own = ((fed == own) & differ).any(0)
    assert (cols_gold & cols_own)[1:].all()
    # the same seed repeats the same choices; another seed makes other ones
    _, again, _ = _decoder_inputs(task, model, monkeypatch, seed=0)
    _, other, _ = _decoder_inputs(task, model, monkeypatch, seed=1)
    assert torch.equal(again, fed)
    assert not torch.equal(other, fed)


# ---- 2. lm: a separate validation file ------------------------------------------------------


def _stream_loss_by_hand(model, ids: torch.Tensor, rows: int) -> float:
    """Mean cross-entropy of the ``rows`` contiguous rows of ``ids``, each one window from a
    zero state (the stream layout of rnnkit.data.stream, when a row fits in one window)."""
    columns = (len(ids) - 1) // rows
    x = ids[: rows * columns].view(rows, columns)
    y = ids[1 : rows * columns + 1].view(rows, columns)
    with torch.no_grad():
        logits, _, _ = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1)).item()


def test_lm_validation_file_is_what_validation_scores(tmp_path, text_file, lm_config, make):
    repeated = tmp_path / "eee.txt"
    repeated.write_text("e" * 65, encoding="utf-8")  # 4 rows of 16 columns: one window each
    raw = lm_config(str(text_file))
    raw["data"]["validation"] = str(repeated)
    config, task = make(raw)
    task.setup()
    text = text_file.read_text(encoding="utf-8")
    assert "".join(task.vocab.decode(task.train_ids.tolist())) == text  # all of it trains
    assert "".join(task.vocab.decode(task.val_ids.tolist())) == "e" * 65

    _, split = make(lm_config(str(text_file)))  # validation_fraction 0.1: the end of the text
    split.vocab = task.vocab  # the same ids, so one model scores both
    split.setup()
    assert "".join(split.vocab.decode(split.val_ids.tolist())) == text[int(len(text) * 0.9) :]

    torch.manual_seed(0)
    model = task.build_model().eval()
    on_file = task.evaluate(model)["loss"]
    assert on_file == pytest.approx(_stream_loss_by_hand(model, task.val_ids, rows=4), abs=1e-5)
    assert on_file != pytest.approx(split.evaluate(model)["loss"], abs=1e-3)

    # training reports the loss of that file too
    result = fit(task, config, tmp_path / "run", quiet=True)
    by_hand = _stream_loss_by_hand(result.model.eval(), task.val_ids, rows=4)
    assert result.metrics["val_loss"] == pytest.approx(by_hand, abs=1e-5)


def test_lm_empty_validation_file_is_a_clear_error(tmp_path, text_file, lm_config, make):
    empty = tmp_path / "empty_val.txt"
    empty.write_text("", encoding="utf-8")
    raw = lm_config(str(text_file))
    raw["data"]["validation"] = str(empty)
    _, task = make(raw)
    with pytest.raises(DataError) as err:
        task.setup()
    assert str(err.value) == (
        f"data.validation text {empty} is empty: a language model needs characters"
    )
    empty.write_text("e", encoding="utf-8")  # one character: nothing to predict
    with pytest.raises(DataError) as err:
        task.setup()
    assert str(err.value) == "the validation text has 1 character(s); it needs 2"


# ---- 3. the conditional names model through a run folder ----------------------------------


def test_conditional_names_run_reloads_identically(tmp_path, names_folder, lm_config, make, capsys):
    raw = lm_config(
        str(names_folder), fmt="folder", cell="lstm", num_layers=2, condition_dim=4, dropout=0.2
    )
    raw["data"]["validation_fraction"] = 0.2
    config, task = make(raw)
    run = tmp_path / "names-run"  # not the data folder: a run never mixes with other files
    result = fit(task, config, run, quiet=True)
    loaded = load_run(run)

    assert loaded.task.categories == task.categories == ["Italian", "Japanese", "Russian"]
    assert loaded.task.vocab.itos == task.vocab.itos
    assert loaded.model.condition.weight.shape == (3, 4)  # it is the conditional model
    trained, reloaded = result.model.state_dict(), loaded.model.state_dict()
    assert list(trained) == list(reloaded)
    for name, tensor in trained.items():
        assert torch.equal(tensor, reloaded[name]), name

    for condition in task.categories:
        kwargs = dict(condition=condition, n=6, length=12, temperature=1.0, seed=5)
        samples = loaded.task.generate(loaded.model, **kwargs)
        assert samples == task.generate(result.model, **kwargs)
        assert samples == loaded.task.generate(loaded.model, **kwargs)  # the seed fixes them
        assert samples != loaded.task.generate(loaded.model, **{**kwargs, "seed": 6})

    # as a user gets them: rnnkit generate RUN --condition ... (defaults: length 30, T 0.8)
    code = main(["generate", str(run), "--condition", "Russian",
                 "-n", "4", "--seed", "3"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    expected = task.generate(
        result.model, condition="Russian", n=4, length=30, temperature=0.8, seed=3
    )
    assert out == "\n".join(expected) + "\n"
