"""Tiny models and a fixed A100 system for closed-form checks of the training model."""

from __future__ import annotations

import pytest

from simcompute.catalog import ModelSpec, load_catalog
from simcompute.resolve.training import hardware_system


@pytest.fixture(scope="session")
def cat():
    return load_catalog()


@pytest.fixture(scope="session")
def a100_system(cat):
    node = cat.node("dgx-a100-80gb")
    acc = cat.accelerator(node.gpu)
    return hardware_system(node, acc, cat.generation(acc.generation), cat.fabric("ib-hdr-200"))


@pytest.fixture(scope="session")
def tiny():
    return ModelSpec(name="tiny", layers=8, hidden=512, heads=8, vocab=1000, ffn_hidden=2048)
