"""Example-input factories shared by catalog entries.

Each factory returns a function ``(config, batch) -> tuple of tensors`` that reads the input
dimensions from the entry's config, so ``--set hw=56`` or ``--set seq_len=256`` changes the
example input together with the module. Each returned function lists the config keys it reads
in ``config_keys``, so the registry refuses, when an entry is registered, an example input that
reads a key the entry's factory lacks (instead of a failure at measure time).
"""

from __future__ import annotations

import torch

from modbench.catalog.registry import Config, InputFactory, Inputs


def image(channels: str | int = "in_channels", height: str | int = "hw", width: str | int | None = None) -> InputFactory:
    """An N×C×H×W float tensor; each dimension is a config key or a fixed int (width defaults to height)."""

    def make(config: Config, batch: int) -> Inputs:
        c = _dim(config, channels)
        h = _dim(config, height)
        w = _dim(config, width if width is not None else height)
        return (torch.randn(batch, c, h, w),)

    return _reading(make, channels, height, width)


def sequence(length: str | int = "seq_len", features: str | int = "d_model", batch_first: bool = True) -> InputFactory:
    """An N×L×D (or L×N×D) float tensor for token-mixing and recurrent blocks."""

    def make(config: Config, batch: int) -> Inputs:
        length_ = _dim(config, length)
        features_ = _dim(config, features)
        shape = (batch, length_, features_) if batch_first else (length_, batch, features_)
        return (torch.randn(*shape),)

    return _reading(make, length, features)


def vector(features: str | int = "in_features") -> InputFactory:
    """An N×D float tensor (fully connected layers, recurrent cells)."""

    def make(config: Config, batch: int) -> Inputs:
        return (torch.randn(batch, _dim(config, features)),)

    return _reading(make, features)


def token_ids(length: str | int = "seq_len", vocab: str | int = "num_embeddings") -> InputFactory:
    """An N×L int64 tensor of token ids below the vocabulary size."""

    def make(config: Config, batch: int) -> Inputs:
        return (torch.randint(0, _dim(config, vocab), (batch, _dim(config, length))),)

    return _reading(make, length, vocab)


def _dim(config: Config, key_or_size: str | int) -> int:
    return int(config[key_or_size]) if isinstance(key_or_size, str) else int(key_or_size)


def _reading(make: InputFactory, *dims: str | int | None) -> InputFactory:
    """``make``, marked with the config keys among ``dims`` (the rest are fixed sizes)."""
    make.config_keys = tuple(dim for dim in dims if isinstance(dim, str))  # type: ignore[attr-defined]
    return make
