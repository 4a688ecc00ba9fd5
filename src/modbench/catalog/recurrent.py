"""Recurrent layers, embeddings and seed 003's character-level "hello" RNN.

Seed 003 walks through ``nn.RNNCell``, ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and ``nn.Embedding``
with a toy task: learn "hello" → "ohlol" over the 4-letter vocabulary {e, h, l, o} (the seed's text
writes the target as "olloer"; its code is only in screenshots). The blocks are torch's own modules,
so what is measured is torch's fused kernels; the defaults are the seed's tiny sizes (input 4,
hidden 4, 5 steps) and a realistic size is one flag away, e.g.
``--set input_size=128 --set hidden_size=256 --set seq_len=64``.

The layer blocks return what torch returns: ``(output, h_n)`` for RNN and GRU and
``(output, (h_n, c_n))`` for LSTM; the cell returns ``h'``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.registry import Config, Inputs, Source, register

SEED = "003_8a18f65d998948f5.txt"
SOURCE = Source(seed=SEED)
LSTM_PAPER = "Hochreiter & Schmidhuber 1997, Long Short-Term Memory"
GRU_PAPER = "Cho et al. 2014, Learning Phrase Representations using RNN Encoder-Decoder"


def recurrent_sequence(config: Config, batch: int) -> Inputs:
    """N×seq_len×input_size, or seq_len×N×input_size when the entry's ``batch_first`` is off."""
    return inputs.sequence("seq_len", "input_size", batch_first=bool(config["batch_first"]))(config, batch)


def one_hot_tokens(config: Config, batch: int) -> Inputs:
    """N×seq_len×vocab_size one-hot rows of random characters, the seed's input encoding."""
    (tokens,) = inputs.token_ids("seq_len", "vocab_size")(config, batch)
    return (F.one_hot(tokens, int(config["vocab_size"])).float(),)


class CharRNN(nn.Module):
    """Seed 003's character model: (one-hot or embedded) characters → RNN → per-step class scores.

    With ``embedding_dim`` None the input is N×L×vocab_size one-hot floats fed straight to the RNN;
    otherwise N×L int64 ids go through ``nn.Embedding(vocab_size, embedding_dim)`` first. The
    classes are the vocabulary (the next character). Returns N×L×vocab_size logits; the seed
    flattens them to (N·L)×vocab_size for ``CrossEntropyLoss``, a free view left to the caller.
    """

    def __init__(self, vocab_size: int, hidden_size: int, num_layers: int, embedding_dim: int | None = None) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim) if embedding_dim is not None else None
        rnn_input = embedding_dim if embedding_dim is not None else vocab_size
        self.rnn = nn.RNN(rnn_input, hidden_size, num_layers=num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.embedding is not None:
            x = self.embedding(x)
        out, _ = self.rnn(x)
        return self.fc(out)


@register(family="block", example_input=inputs.vector("input_size"), source=SOURCE, tags=("recurrent", "seed-003"))
def rnn_cell(input_size: int = 4, hidden_size: int = 4) -> nn.Module:
    """One Elman RNN step, nn.RNNCell (seed 003); input N×input_size, h' = tanh(W x + U h + b).

    The hidden state starts at zeros, as when the seed calls the cell on its first character.
    """
    return nn.RNNCell(input_size, hidden_size)


def _sequence_layer(name: str, layer: type[nn.RNNBase], doc: str, source: Source, tags: tuple[str, ...]) -> None:
    """Register ``name``: torch's ``layer`` (RNN, LSTM or GRU) at seed 003's sizes, on a seq_len-long sequence.

    The three layers take the same arguments and differ only in their gates, so one factory
    serves all three; ``seq_len`` is in the config for the input, not the layer.
    """

    def factory(
        input_size: int = 4,
        hidden_size: int = 4,
        num_layers: int = 1,
        bidirectional: bool = False,
        batch_first: bool = True,
        seq_len: int = 5,
    ) -> nn.Module:
        return layer(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = doc
    register(family="block", example_input=recurrent_sequence, source=source, tags=tags)(factory)


_sequence_layer(
    "rnn", nn.RNN, "Multi-layer Elman RNN, nn.RNN with tanh (seed 003); input N×seq_len×input_size.",
    SOURCE, ("recurrent", "seed-003"),
)
_sequence_layer(
    "lstm", nn.LSTM, "LSTM, nn.LSTM (seed 003); four gates, so four times an RNN's weights and MACs per layer.",
    Source(seed=SEED, paper=LSTM_PAPER), ("recurrent", "gating", "seed-003"),
)
_sequence_layer(
    "gru", nn.GRU, "GRU, nn.GRU (seed 003); three gates, so three times an RNN's weights and MACs per layer.",
    Source(seed=SEED, paper=GRU_PAPER), ("recurrent", "gating", "seed-003"),
)


@register(
    family="block",
    example_input=inputs.token_ids("seq_len", "num_embeddings"),
    source=SOURCE,
    tags=("embedding", "seed-003"),
)
def embedding(num_embeddings: int = 4, embedding_dim: int = 10, seq_len: int = 5) -> nn.Module:
    """Token embedding lookup, nn.Embedding (seed 003's 4-letter vocabulary to 10 dimensions).

    Input N×seq_len int64 ids. A lookup is a gather, not a matmul: no MACs, unlike the one-hot
    × weight product it replaces, which is the seed's argument for embeddings.
    """
    return nn.Embedding(num_embeddings, embedding_dim)


@register(family="model", example_input=one_hot_tokens, source=SOURCE, tags=("recurrent", "seed-003"))
def char_rnn(vocab_size: int = 4, hidden_size: int = 4, num_layers: int = 1, seq_len: int = 5) -> nn.Module:
    """Seed 003's "hello" → "ohlol" char RNN: one-hot input (4 letters), RNN(4→4), Linear to 4 classes.

    Input N×seq_len×vocab_size one-hot floats; output N×seq_len×vocab_size logits. The seed shows
    this model only as a screenshot and sets hidden_size to the number of classes, i.e. it reads
    the 4 hidden units directly as class scores; the Linear head here makes it the same model as
    ``char_rnn_embedding`` minus the embedding, so the pair isolates the input encoding.
    """
    return CharRNN(vocab_size=vocab_size, hidden_size=hidden_size, num_layers=num_layers)


@register(
    family="model",
    example_input=inputs.token_ids("seq_len", "vocab_size"),
    source=SOURCE,
    tags=("recurrent", "embedding", "seed-003"),
)
def char_rnn_embedding(
    vocab_size: int = 4,
    embedding_dim: int = 10,
    hidden_size: int = 8,
    num_layers: int = 2,
    seq_len: int = 5,
) -> nn.Module:
    """Seed 003's embedding variant of the char RNN: Embedding(4, 10) → RNN(10→8, 2 layers) → Linear(8, 4).

    Input N×seq_len int64 character ids; output N×seq_len×vocab_size logits (the seed flattens
    them to (N·seq_len)×vocab_size).
    """
    return CharRNN(vocab_size=vocab_size, hidden_size=hidden_size, num_layers=num_layers, embedding_dim=embedding_dim)
