"""Task ``tag`` through the engine: tiny corpora learned perfectly, save/load identity,
written predictions, and the exact messages of bad configs and data."""

from __future__ import annotations

import pytest
import torch

from rnnkit.api import train_run
from rnnkit.config import config_from_dict
from rnnkit.data.conll import read_conll, read_conllu
from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks import get_task_class
from rnnkit.tasks.runs import load_run


def train(raw: dict, run_dir, report: bool = False):
    config = config_from_dict(raw)
    return train_run(config, run_dir, quiet=True, report=report)


@pytest.mark.parametrize(
    "model",
    [
        {"crf": True, "char_encoder": "lstm"},
        {"crf": False, "char_encoder": "cnn", "casing_dim": 4},
        {"crf": True, "char_encoder": "none", "cell": "gru", "num_layers": 2},
    ],
)
def test_tiny_ner_corpus_is_learned_perfectly(tmp_path, ner_file, config, model):
    data = {"lower": True, "singleton_unk": 0.3}
    result = train(config(str(ner_file), model=model, data=data), tmp_path / "run")
    assert result.metrics["val_f1"] == 1.0
    assert result.metrics["val_accuracy"] == 1.0


def test_tiny_pos_corpus_in_conllu(tmp_path, pos_file, config):
    raw = config(str(pos_file), data={"format": "conllu"}, train={"epochs": 15})
    result = train(raw, tmp_path / "run")
    assert result.metrics["val_accuracy"] == 1.0
    assert result.metrics["val_f1"] == result.metrics["val_accuracy"]  # scheme none
    assert (tmp_path / "run" / "tagging.json").read_text().count('"none"') == 2


def test_save_load_identity_report_and_written_predictions(tmp_path, ner_file, config):
    raw = config(str(ner_file), data={"test": str(ner_file)}, train={"epochs": 3})
    result = train(raw, tmp_path / "run", report=True)
    run = tmp_path / "run"
    for name in ("words.json", "chars.json", "tags.json", "report.html", "predictions.conll"):
        assert (run / name).exists(), name
    assert (run / "plots" / "tag_confusion.png").exists()
    assert "Scores per entity type on the test split" in (run / "report.html").read_text()
    loaded = load_run(run, setup=True)
    for key, value in result.model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value), key
    again = loaded.task.evaluate(loaded.model, "test")
    assert {k: again[k] for k in ("f1", "accuracy")} == {
        "f1": result.metrics["test_f1"],
        "accuracy": result.metrics["test_accuracy"],
    }
    written = read_conll(run / "predictions.conll")
    assert len(written[0].rows[0]) == 5  # word POS chunk gold predicted
    on_file = load_run(run).task.evaluate_path(loaded.model, str(ner_file))
    assert on_file == {k: result.metrics[f"test_{k}"] for k in on_file}
    frame = loaded.task.predictions(loaded.model)
    assert list(frame.columns) == ["sentence", "token", "word", "gold", "predicted"]


def test_conllu_predictions_are_written_back(tmp_path, pos_file, config):
    raw = config(str(pos_file), data={"format": "conllu"}, train={"epochs": 1})
    train(raw, tmp_path / "run", report=True)
    written = read_conllu(tmp_path / "run" / "predictions.conllu")
    assert [s.tokens for s in written] == [s.tokens for s in read_conllu(pos_file)]


def setup_error(raw):
    config = config_from_dict(raw)
    get_task_class("tag")(config).setup()


def test_bad_config_messages(ner_file, config):
    with pytest.raises(
        ConfigError,
        match=r"^data.scheme must be one of auto, iob1, bio, bioes, none, received 'bioe' "
        r"\(did you mean 'bioes'\?\)$",
    ):
        setup_error(config(str(ner_file), data={"scheme": "bioe"}))
    with pytest.raises(
        ConfigError, match=r"^model.char_encoder must be one of lstm, cnn, none, received 'gru'$"
    ):
        setup_error(config(str(ner_file), model={"char_encoder": "gru"}))
    with pytest.raises(
        ConfigError, match=r"^data.format must be auto, conll or conllu, received 'csv'$"
    ):
        setup_error(config(str(ner_file), data={"format": "csv"}))
    with pytest.raises(
        ConfigError, match=r"^data.singleton_unk must be in \[0, 1\), received 1.0$"
    ):
        setup_error(config(str(ner_file), data={"singleton_unk": 1.0}))
    with pytest.raises(ConfigError, match=r"^data.tag_column 7 is out of range: .*ner.conll has 4"):
        setup_error(config(str(ner_file), data={"tag_column": 7}))


def test_bad_data_messages(tmp_path, ner_file, config):
    with pytest.raises(DataError, match=r"ner.conll, line 3: tag 'NNP' is not O or B-/I-/E-/S-"):
        setup_error(config(str(ner_file), data={"tag_column": 1, "scheme": "bioes"}))
    other = tmp_path / "other.conll"
    other.write_text("Zed I-NP I-NP I-ANIMAL\n")
    with pytest.raises(
        DataError,
        match=r"other.conll, line 1: tag 'I-ANIMAL' never occurs in the training data, so the "
        r"model cannot learn it$",
    ):
        setup_error(config(str(ner_file), data={"validation": str(other)}))
    broken = tmp_path / "broken.conll"
    broken.write_text(ner_file.read_text().replace("visited XX O O", "visited O", 1))
    with pytest.raises(DataError, match=r"broken.conll, line \d+: expected 4 columns"):
        setup_error(config(str(broken)))
