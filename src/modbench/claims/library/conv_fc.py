"""Seed 003's claims against dense layers: convolutions need far fewer parameters and far less computation
than fully connected layers (11a); embeddings are cheaper than one-hot inputs (11b)."""

from __future__ import annotations

from modbench.claims.expect import FAR_FEWER, FASTER, FEWER
from modbench.claims.registry import register
from modbench.claims.schema import NO_SPEED_CLAIMED, Check, Claim, Comparison, Quote, Side, context, vote
from modbench.claims.sources import SEED_003

_FAR_FEWER: tuple[Check, ...] = (
    vote("params", FAR_FEWER.expect(), "the convolution's k×k·c·n shared weights are not an order of magnitude below "
         "the dense layer's one weight per input-output pair"),
    vote("macs", FAR_FEWER.expect(), "the convolution's per-pixel k×k·c work is not an order of magnitude below the "
         "dense layer's"),
    vote("latency_ms", FASTER.expect(), "the dense layer's matmul runs as fast as the convolution (\"takes a lot of "
         "resources\" covers time)"),
    context("peak_bytes", "the seed claims nothing about memory"),
)

CONV_VS_FC = Claim(
    id="conv-vs-fc",
    number="11a",
    statement="Convolutions need far fewer parameters (and far less computation) than fully connected layers.",
    seed=SEED_003,
    quotes=(
        Quote(
            "CNN又叫卷积神经网络,是全连接神经网络的一种优化,将全连接神经网络的全连接层转换为卷积层,为什么?"
            "(全连接层计算的参数量包含上一层传过来的每一个参数,计算十分庞大,会占用大量资源)",
            "A CNN, a convolutional neural network, is an optimisation of the fully connected network that turns its "
            "fully connected layers into convolution layers. Why? (A fully connected layer's parameters involve every "
            "value passed from the previous layer; the computation is enormous and takes a lot of resources.)",
        ),
    ),
    comparisons=(
        Comparison(
            "seed 003's LeNet first layer: conv 1→10, 5×5 on 28×28 vs Linear(784, 7840)",
            Side.of("conv2d", in_channels=1, out_channels=10, kernel_size=5, hw=28),
            Side.of("linear", in_features=784, out_features=7840),
            _FAR_FEWER,
        ),
        Comparison(
            "conv 3→16, 3×3 on 32×32 vs Linear(3072, 16384)",
            Side.of("conv2d", in_channels=3, out_channels=16, kernel_size=3, hw=32),
            Side.of("linear", in_features=3072, out_features=16384),
            _FAR_FEWER,
        ),
    ),
    decides=(
        "Both sides map the same input to an output of the same size: `conv2d` pads k//2, so 1×28×28 becomes "
        "10×28×28 and the fully connected layer doing that is Linear(784, 7840); 3×32×32 → 16×32×32 is "
        "Linear(3072, 16384).",
    ),
)

_EMBEDDING_CHECKS: tuple[Check, ...] = (
    vote("peak_bytes", FEWER.expect(), "the one-hot rows (one float per vocabulary word per token) weigh nothing beside "
         "the weight both sides hold"),
    context("macs", "a lookup is a gather: an embedding has no multiply-adds by definition"),
    context("latency_ms", NO_SPEED_CLAIMED),
    context("params", "the same V×D weight on both sides, equal by construction"),
)

EMBEDDING = Claim(
    id="embedding-vs-onehot",
    number="11b",
    statement="Embeddings are cheaper than one-hot inputs: low-dimensional and dense instead of high-dimensional and sparse.",
    seed=SEED_003,
    quotes=(
        Quote(
            "对于使用独热向量来转换输入数据,并不是一种很好的方法,有一下的缺点是高维数据,稀疏,并且是硬编码",
            "Encoding the input as one-hot vectors is not a good method; its drawbacks are high-dimensional, "
            "sparse and hard-coded data",
        ),
        Quote(
            "我们因此提出了改良使用Embedding 技术:低维数据,稠密信息、从数据中学习",
            "So we improve on it with the embedding technique: low-dimensional, dense information, learned from data",
        ),
    ),
    comparisons=(
        Comparison(
            "seed's vocabulary: Embedding(4, 10) vs one-hot × Linear(4, 10), 5 tokens",
            Side.of("embedding", num_embeddings=4, embedding_dim=10, seq_len=5),
            Side.of("linear", in_features=4, out_features=10, bias=False, batch=5),
            _EMBEDDING_CHECKS,
        ),
        Comparison(
            "10k vocabulary: Embedding(10000, 128) vs one-hot × Linear(10000, 128), 64 tokens",
            Side.of("embedding", num_embeddings=10000, embedding_dim=128, seq_len=64),
            Side.of("linear", in_features=10000, out_features=128, bias=False, batch=64),
            _EMBEDDING_CHECKS,
        ),
    ),
    decides=(
        "`embedding` (V, D, one sequence of L tokens) against `linear` with in_features = V, out_features = D and no "
        "bias, fed L one-hot rows (batch = L): the one-hot × weight product a lookup replaces. The weight matrix is "
        "the same V×D; what differs is a V-wide float input per token against one id, which the peak memory "
        "(inputs, weights and outputs of the step) weighs.",
        "The `linear` entry's example input is random, not one-hot; a dense matmul costs the same for any values.",
        "`char_rnn` against `char_rnn_embedding` is not used: the seed's two models also differ in hidden size and "
        "depth, and at its vocabulary of 4 an embedding of width 10 widens the RNN's input.",
    ),
    out_of_scope=("硬编码 vs 从数据中学习 (hard-coded vs learned): representation quality, not cost.",),
)

register(CONV_VS_FC, EMBEDDING)
