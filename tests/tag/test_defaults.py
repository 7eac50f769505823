"""Task tag from a three-line config (issue 16): the format is read from the file, the
validation part is whole documents held out of the training file (sentences when it has
fewer than ten documents), POS tags are selected on accuracy."""

from __future__ import annotations

from rnnkit.config import config_from_dict
from rnnkit.data.conll import Sentence, detect_format, read_conll
from rnnkit.tasks.tag import TagTask
from rnnkit.tasks.tag_config import hold_out


def documents_file(path, documents: int, sentences: int) -> None:
    lines = []
    for d in range(documents):
        lines += ["-DOCSTART- -X- O O", ""]
        for s in range(sentences):
            lines += [f"Doc{d} NNP I-NP B-ORG", f"said{s} VBD I-VP O", ". . O O", ""]
    path.write_text("\n".join(lines) + "\n")


def test_the_validation_part_is_whole_documents_disjoint_from_training(tmp_path):
    path = tmp_path / "docs.conll"
    documents_file(path, documents=30, sentences=4)
    train = read_conll(path, 3)
    kept, validation = hold_out(train, 0.1, 0, str(path))
    held = {s.document for s in validation}
    assert len(held) == 3 and len(validation) == 12  # 10% of 30 documents, all 4 sentences
    assert held.isdisjoint({s.document for s in kept})
    assert len(kept) + len(validation) == len(train) == 120
    assert {s.tokens[0] for s in validation} == {f"Doc{d}" for d in held}
    again, _ = hold_out(train, 0.1, 0, str(path))
    assert [s.line_numbers for s in again] == [s.line_numbers for s in kept]  # seeded


def test_few_documents_are_split_by_sentence(tmp_path):
    sentences = [Sentence([f"w{i}"], ["O"]) for i in range(50)]  # one document
    kept, validation = hold_out(sentences, 0.1, 0, "x")
    assert len(validation) == 5 and len(kept) == 45
    assert {s.tokens[0] for s in kept}.isdisjoint({s.tokens[0] for s in validation})


def test_the_format_is_read_from_the_lines(tmp_path, pos_file, ner_file):
    assert detect_format(pos_file) == "conllu" and detect_format(ner_file) == "conll"
    renamed = tmp_path / "pos.txt"  # the lines decide, not the name
    renamed.write_text(pos_file.read_text())
    assert detect_format(renamed) == "conllu"


def test_three_lines_train_a_pos_tagger_selected_on_accuracy(tmp_path, pos_file):
    raw = {"task": "tag", "data": {"train": str(pos_file), "test": str(pos_file)}}
    config = config_from_dict(raw)
    task = TagTask(config)
    task.setup()
    assert (config.data.format, task.scheme, task.metric) == ("conllu", "none", "val_accuracy")
    assert (config.model.crf, config.model.char_encoder, config.model.casing_dim) == (
        True,
        "lstm",
        8,
    )
    assert (config.train.lr, config.train.clip_grad_norm, config.train.early_stopping) == (
        0.002,
        5.0,
        5,
    )
