"""Task tag on files it cannot use: the exact message."""

from __future__ import annotations

import pytest

from rnnkit.config import config_from_dict
from rnnkit.errors import DataError
from rnnkit.tasks.tag import TagTask


def test_a_tag_no_span_scheme_can_encode_in_another_file_is_refused(tmp_path):
    """Found by the fuzz test: span tags in training, an atomic tag in validation used to
    escape as a bare ValueError from the scheme conversion."""
    train, validation = tmp_path / "train.conll", tmp_path / "val.conll"
    train.write_text("Ann I-PER\nran O\n\nBob I-PER\n", encoding="utf-8")
    validation.write_text("Ann I-PER\n\nran VERB\n", encoding="utf-8")
    raw = {"task": "tag", "data": {"train": str(train), "validation": str(validation)}}
    task = TagTask(config_from_dict(raw))
    with pytest.raises(DataError) as err:
        task.setup()
    assert str(err.value) == (
        f"{validation}, line 3: tag 'VERB' is not O or B-/I-/E-/S- and a type, as data.scheme "
        "'bioes' needs; set data.scheme = \"none\" for atomic labels such as part-of-speech tags"
    )


def test_conllu_with_an_empty_form_is_refused(tmp_path):
    path = tmp_path / "u.conllu"
    path.write_text(
        "1\tdog\tdog\tNOUN\t_\t_\t0\troot\t_\t_\n\n1\t\tcat\tNOUN\t_\t_\t0\troot\t_\t_\n\n",
        encoding="utf-8",
    )
    raw = {"task": "tag", "data": {"format": "conllu", "train": str(path), "scheme": "none"}}
    with pytest.raises(DataError) as err:
        TagTask(config_from_dict(raw)).setup()
    assert str(err.value) == (
        f"{path}, line 3: the FORM field (field 2) is empty; CoNLL-U writes _ for a missing value"
    )
