"""Task lm at word level and on a table of texts: the stream (each text then <eos>), the
vocabulary, the splits, the level defaults of the regularisers, AR/TAR in the loss, training,
save/load and sampling, and the refusals."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from rnnkit.config import to_toml
from rnnkit.errors import ConfigError, DataError
from rnnkit.models.charlm import CharLM
from rnnkit.nn.regularize import LockedDropout
from rnnkit.tasks.lm_config import WORD_DEFAULTS, LMModel
from rnnkit.tasks.runs import load_run
from rnnkit.train import fit

REVIEWS = [
    "A fine film.<br /><br />I liked it a lot!",
    "A dull film, I did not like it.",
    "I liked the actors; the film is fine.",
    "Not a film I would see again.",
]


def word_raw(lm_config, train: str, fmt: str = "text", **data) -> dict:
    raw = lm_config(train, fmt)
    raw["data"].update({"level": "word", "min_freq": 1, "bptt": 6, **data})
    return raw


@pytest.fixture
def tsv(tmp_path):
    path = tmp_path / "train.tsv"
    rows = [f"{i % 2}\t{review}" for i, review in enumerate(REVIEWS * 10)]
    path.write_text("label\ttext\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_text_file_at_word_level_is_each_line_then_eos(tmp_path, lm_config, make):
    path = tmp_path / "t.txt"
    path.write_text("\n".join(REVIEWS[:3]) + "\n\n" + REVIEWS[3] + "\n", encoding="utf-8")
    _, task = make(word_raw(lm_config, str(path), validation_fraction=0.25))
    task.setup()
    assert task.vocab.itos[:3] == ["<pad>", "<unk>", "<eos>"]
    words = task.vocab.decode(task.train_ids.tolist())
    assert words[:12] == [
        "A",
        "fine",
        "film",
        ".",
        "I",
        "liked",
        "it",
        "a",
        "lot",
        "!",
        "<eos>",
        "A",
    ]
    assert words.count("<eos>") == 3  # three lines train, the blank one is no text
    assert task.vocab.decode(task.val_ids.tolist()) == [  # the last line (the tail)
        "<unk>",
        "a",
        "film",
        "I",
        "<unk>",
        "<unk>",
        "<unk>",
        ".",
        "<eos>",
    ]  # fmt: skip: words not seen in training are <unk>


def test_lines_reads_the_text_column_with_a_seeded_split(tsv, lm_config, make):
    raw = word_raw(lm_config, str(tsv), "lines", lower=True, validation_fraction=0.1)
    _, task = make(raw)
    task.setup()
    eos = task.vocab.stoi["<eos>"]
    assert int((task.train_ids == eos).sum()) == 36 and int((task.val_ids == eos).sum()) == 4
    assert "film" in task.vocab and "Film" not in task.vocab and "br" not in task.vocab
    _, again = make(raw)
    again.setup()
    assert torch.equal(again.val_ids, task.val_ids)  # the same seed, the same split


def test_max_vocab_and_min_freq(tsv, lm_config, make):
    _, task = make(word_raw(lm_config, str(tsv), "lines", max_vocab=5))
    task.setup()
    assert len(task.vocab) == 3 + 5 and task.vocab.itos[3] == "."  # the most frequent first
    _, task = make(word_raw(lm_config, str(tsv), "lines", min_freq=1000))
    with pytest.raises(DataError) as err:
        task.setup()
    assert str(err.value) == (
        f"{tsv}: no word is seen 1000 times (data.min_freq); the vocabulary would hold only "
        "<pad>, <unk>, <eos>"
    )


def test_a_missing_text_column_names_it(tsv, lm_config, make):
    _, task = make(word_raw(lm_config, str(tsv), "lines", text_column="review"))
    with pytest.raises(DataError) as err:
        task.setup()
    assert str(err.value) == (
        f"{tsv} has no column 'review' (data.text_column); its header has 'label', 'text'"
    )


def test_refusals_of_the_level(lm_config, make, names_folder):
    raw = lm_config(str(names_folder), "folder")
    raw["data"]["level"] = "word"
    with pytest.raises(ConfigError) as err:
        make(raw)
    assert str(err.value) == (
        "data.level 'word' needs data.format = 'text' or 'lines' (a category folder holds "
        "names, read by character), received format 'folder'"
    )
    raw["data"]["level"] = "token"
    with pytest.raises(ConfigError, match="^data.level must be char or word, received 'token'$"):
        make(raw)


def test_level_defaults_are_resolved_and_written(tsv, text_file, lm_config, make):
    config, _ = make(word_raw(lm_config, str(tsv), "lines"))
    assert {k: getattr(config.model, k) for k in WORD_DEFAULTS} == WORD_DEFAULTS
    assert "weight_drop = 0.2" in to_toml(config) and "ar_alpha = 2.0" in to_toml(config)
    raw = word_raw(lm_config, str(tsv), "lines")
    raw["model"].update(weight_drop=0.0, locked_dropout=False)
    config, _ = make(raw)
    assert config.model.weight_drop == 0.0 and config.model.locked_dropout is False
    config, _ = make(lm_config(str(text_file)))  # characters: today's model
    m = config.model
    assert (m.input_dropout, m.output_dropout, m.locked_dropout) == (0.0, 0.0, False)
    assert (m.weight_drop, m.embedding_dropout, m.ar_alpha, m.tar_beta) == (0, 0, 0, 0)


def test_ar_tar_are_added_to_the_training_loss_only():
    cfg = LMModel(hidden_size=8, num_layers=1, embedding_dim=4, dropout=0.0)
    cfg.ar_alpha, cfg.tar_beta, cfg.locked_dropout, cfg.output_dropout = 2.0, 1.0, True, 0.5
    torch.manual_seed(0)
    model = CharLM(cfg, vocab_size=11)
    assert isinstance(model.output_drop, LockedDropout)
    x, y = torch.randint(0, 11, (3, 7)), torch.randint(0, 11, (3, 7))
    torch.manual_seed(1)
    _, loss, _ = model(x, y)
    torch.manual_seed(1)  # the same masks again, by hand
    hidden, _ = model.encode(x)
    dropped = model.output_drop(hidden)
    ce = F.cross_entropy(model.decoder(dropped).reshape(-1, 11), y.reshape(-1))
    ar = 2.0 * dropped.pow(2).mean() + 1.0 * (hidden[:, 1:] - hidden[:, :-1]).pow(2).mean()
    torch.testing.assert_close(loss, ce + ar)
    model.eval()
    logits, loss, _ = model(x, y)
    torch.testing.assert_close(loss, F.cross_entropy(logits.reshape(-1, 11), y.reshape(-1)))


def test_a_word_model_trains_saves_loads_and_writes_words(tsv, tmp_path, lm_config, make):
    raw = word_raw(lm_config, str(tsv), "lines", lower=True)
    raw["model"]["adaptive_softmax"] = [5, 15]
    raw["data"]["test"] = str(tsv)
    raw["train"]["epochs"] = 3
    config, task = make(raw)
    result = fit(task, config, tmp_path / "run", quiet=True)
    metrics = task.evaluate(result.model.eval())
    assert set(metrics) == {"loss", "loss_nats", "perplexity"}  # no bits per character
    assert "test_perplexity" in result.metrics
    loaded = load_run(tmp_path / "run")
    assert loaded.config.model.weight_drop == 0.2
    loaded.task.setup()
    assert loaded.task.evaluate(loaded.model) == pytest.approx(metrics)
    sample = loaded.task.generate(loaded.model, prime="a fine", length=8, seed=3)[0]
    assert sample.startswith("a fine ") and len(sample.split()) >= 3
    assert all(w in loaded.task.vocab or w == "\n" for w in sample.replace("\n", " ").split())
    scored = loaded.task.evaluate_path(loaded.model, str(tsv))
    assert scored["unknown_words"] == 0 and scored["perplexity"] > 1


def test_lines_at_character_level(tsv, lm_config, make):
    _, task = make(lm_config(str(tsv), "lines"))
    task.setup()
    assert task.vocab.itos[:3] == ["<pad>", "<unk>", "<eos>"]
    assert "".join(task._join(task.train_ids[:60].tolist())).count("\n") >= 1


def test_adaptive_softmax_scores_like_its_log_probabilities():
    cfg = LMModel(hidden_size=16, num_layers=1, embedding_dim=4, dropout=0.0)
    cfg.adaptive_softmax = [3, 6]  # tail projections of 16 / 4 and 16 / 16 features
    torch.manual_seed(0)
    model = CharLM(cfg, vocab_size=11, ignore_index=0).eval()
    x, y = torch.randint(1, 11, (2, 5)), torch.randint(1, 11, (2, 5))
    y[0, 0] = 0  # ignored
    logp, _, _ = model(x)  # (N, L, V) log-probabilities
    torch.testing.assert_close(logp.exp().sum(-1), torch.ones(2, 5))
    logits, loss, _ = model(x, y)
    assert logits is None
    keep = y != 0
    expected = -logp[keep].gather(1, y[keep][:, None]).mean()
    torch.testing.assert_close(loss, expected)
    assert len(model.generate(x[:, :2], 4)[0]) == 4


def test_adaptive_softmax_under_bf16_autocast_scores_in_float32():
    """torch's adaptive head refuses bf16 log-probabilities in its float32 buffer; rnnkit
    runs it in float32, so a bf16 run trains and its loss is the float32 head's on the
    (bf16) features."""
    cfg = LMModel(hidden_size=16, num_layers=1, embedding_dim=4, dropout=0.0)
    cfg.adaptive_softmax = [3, 6]
    torch.manual_seed(0)
    model = CharLM(cfg, vocab_size=11).eval()
    x, y = torch.randint(1, 11, (2, 5)), torch.randint(1, 11, (2, 5))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        features = model.project(model.encode(x)[0])  # (N, L, H)
        _, loss, _ = model(x, y)
        logp, _, _ = model(x)
    assert loss.dtype == logp.dtype == torch.float32
    expected = model.adaptive(features.reshape(-1, 16).float(), y.reshape(-1)).loss
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert model.embed.weight.grad is not None


def test_adaptive_softmax_refusals():
    cfg = LMModel(hidden_size=8, num_layers=1, embedding_dim=4)
    cfg.adaptive_softmax = [3, 10]
    with pytest.raises(ConfigError) as err:
        CharLM(cfg, vocab_size=11)
    assert str(err.value) == (
        "model.adaptive_softmax must be increasing cutoffs from 1 to 9 (the vocabulary has 11 "
        "tokens), received [3, 10]"
    )
    cfg.adaptive_softmax, cfg.tie_weights = [3], True
    with pytest.raises(ConfigError) as err:
        CharLM(cfg, vocab_size=11)
    assert str(err.value) == (
        "model.adaptive_softmax has its own output weights: set model.tie_weights = false, "
        "received true"
    )
