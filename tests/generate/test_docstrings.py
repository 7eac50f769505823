"""The runnable examples in the generation modules' docstrings print what they say."""

from __future__ import annotations

import doctest

import pytest
import torch

from rnnkit.data import dates, stream
from rnnkit.metrics import text
from rnnkit.models import sampling


@pytest.mark.parametrize("module", [stream, dates, text, sampling])
def test_docstring_examples(module):
    result = doctest.testmod(module, extraglobs={"torch": torch})
    assert result.failed == 0 and result.attempted > 0
