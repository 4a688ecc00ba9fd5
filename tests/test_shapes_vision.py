"""Output shapes of the vision catalog against the shapes the seeds print, and DropBlock's masks.

Seed 001 prints NiN's output shape after every layer for a 1×1×224×224 input; seed 004's test
code prints each block's output for a batch of 2; seed 003 gives the small MNIST Net's sizes.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from modbench.catalog import create, get_entry
from modbench.catalog.activations import DropBlock

# Seed 001's printout: (layer class, output shape) for X = torch.rand(1, 1, 224, 224).
NIN_TABLE = [
    ("Sequential", (1, 96, 54, 54)),
    ("MaxPool2d", (1, 96, 26, 26)),
    ("Sequential", (1, 256, 26, 26)),
    ("MaxPool2d", (1, 256, 12, 12)),
    ("Sequential", (1, 384, 12, 12)),
    ("MaxPool2d", (1, 384, 5, 5)),
    ("Dropout", (1, 384, 5, 5)),
    ("Sequential", (1, 10, 5, 5)),
    ("AdaptiveAvgPool2d", (1, 10, 1, 1)),
    ("Flatten", (1, 10)),
]


def _walk(model: nn.Sequential, x: torch.Tensor) -> list[tuple[nn.Module, tuple[int, ...]]]:
    shapes = []
    with torch.no_grad():
        for layer in model:
            x = layer(x)
            shapes.append((layer, tuple(x.shape)))
    return shapes


def test_nin_matches_seed_001_layer_by_layer() -> None:
    model = create("nin").eval()
    walked = _walk(model, torch.rand(1, 1, 224, 224))
    assert len(walked) == len(NIN_TABLE)
    for (layer, shape), (expected_class, expected_shape) in zip(walked, NIN_TABLE, strict=True):
        assert type(layer).__name__ == expected_class, (layer, expected_class)
        assert shape == expected_shape, (layer, shape, expected_shape)


def test_nin_blocks_are_conv_relu_and_two_1x1_conv_relu() -> None:
    for block in (layer for layer in create("nin") if isinstance(layer, nn.Sequential)):
        kinds = [type(layer) for layer in block]
        assert kinds == [nn.Conv2d, nn.ReLU] * 3
        assert block[2].kernel_size == block[4].kernel_size == (1, 1)
        assert all(conv.bias is not None for conv in block[0::2])


def test_nin_fc_head_shares_the_trunk_then_flattens_384x5x5() -> None:
    model = create("nin_fc_head").eval()
    walked = _walk(model, torch.rand(1, 1, 224, 224))
    assert [shape for _, shape in walked[:7]] == [shape for _, shape in NIN_TABLE[:7]]
    assert walked[7][1] == (1, 384 * 5 * 5)
    linears = [layer for layer, _ in walked if isinstance(layer, nn.Linear)]
    assert [(fc.in_features, fc.out_features) for fc in linears] == [(9600, 4096), (4096, 4096), (4096, 10)]
    assert walked[-1][1] == (1, 10)


@pytest.mark.parametrize(
    ("name", "config", "input_shape", "output_shape"),
    [
        ("ghost", {}, (2, 32, 32, 32), (2, 64, 32, 32)),
        ("cbam", {}, (2, 64, 32, 32), (2, 64, 32, 32)),
        ("channel_attention", {}, (2, 64, 32, 32), (2, 64, 32, 32)),
        ("spatial_attention", {}, (2, 64, 32, 32), (2, 64, 32, 32)),
        ("coordconv", {"in_channels": 3, "out_channels": 16, "kernel_size": 3}, (2, 3, 32, 32), (2, 16, 32, 32)),
        ("coordconv", {"in_channels": 3, "out_channels": 16, "with_r": True}, (2, 3, 32, 32), (2, 16, 32, 32)),
        ("swish", {}, (2, 32, 32, 32), (2, 32, 32, 32)),
        ("dropblock", {}, (2, 32, 32, 32), (2, 32, 32, 32)),
    ],
)
def test_seed_004_output_shapes(
    name: str, config: dict[str, object], input_shape: tuple[int, ...], output_shape: tuple[int, ...]
) -> None:
    module = create(name, **config)
    x = torch.randn(*input_shape)
    with torch.no_grad():
        for training in (True, False):
            module.train(training)
            assert tuple(module(x).shape) == output_shape


def test_seed_004_defaults_are_the_seed_test_inputs() -> None:
    for name, shape in [
        ("ghost", (2, 32, 32, 32)),
        ("cbam", (2, 64, 32, 32)),
        ("dropblock", (2, 32, 32, 32)),
        ("swish", (2, 32, 32, 32)),
    ]:
        entry = get_entry(name)
        (x,) = entry.inputs(entry.default_config, batch=2)
        assert tuple(x.shape) == shape


def test_seed_003_small_net_sizes() -> None:
    net = create("lenet_mnist").eval()
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        first = net.conv1(x)
        assert tuple(first.shape) == (3, 10, 24, 24)
        second = net.conv2(net.pool(first))
        assert tuple(second.shape) == (3, 20, 8, 8)
        assert net.pool(second).flatten(1).shape[1] == 320
        assert tuple(net(x).shape) == (3, 10)
    assert (net.fc.in_features, net.fc.out_features) == (320, 10)


def test_inception_output_widths() -> None:
    x = torch.randn(1, 192, 28, 28)
    with torch.no_grad():
        assert tuple(create("inception")(x).shape) == (1, 256, 28, 28)
        assert tuple(create("inception_naive")(x).shape) == (1, 416, 28, 28)


def test_googlenet_stage_sizes_follow_table_1() -> None:
    model = create("googlenet").eval()
    with torch.no_grad():
        stem = model.stem(torch.randn(1, 3, 224, 224))
        assert tuple(stem.shape) == (1, 192, 28, 28)
        sizes = []
        x = stem
        for layer in model.inceptions:
            x = layer(x)
            sizes.append(tuple(x.shape[1:]))
    # 3a, 3b, pool, 4a–4e, pool, 5a, 5b (the paper's Table 1 output sizes).
    assert sizes == [
        (256, 28, 28), (480, 28, 28), (480, 14, 14),
        (512, 14, 14), (512, 14, 14), (512, 14, 14), (528, 14, 14), (832, 14, 14),
        (832, 7, 7), (832, 7, 7), (1024, 7, 7),
    ]  # fmt: skip


def test_coordconv_channels_are_linspace_coordinates_and_radius() -> None:
    module = create("coordconv", in_channels=1, out_channels=1, with_r=True)
    x = torch.zeros(2, 1, 3, 5)
    coords = module.add_coords(x)
    assert tuple(coords.shape) == (2, 4, 3, 5)
    assert torch.allclose(coords[0, 1, 0], torch.linspace(-1, 1, 5))
    assert torch.allclose(coords[0, 2, :, 0], torch.linspace(-1, 1, 3))
    assert torch.allclose(coords[1, 3], torch.sqrt(coords[1, 1] ** 2 + coords[1, 2] ** 2))


def test_swish_equals_silu() -> None:
    x = torch.randn(2, 32, 8, 8)
    assert torch.allclose(create("swish")(x), create("silu")(x))


# --- DropBlock: the seed's mask is larger than the input for even block sizes; ours is not. ---


@pytest.mark.parametrize("block_size", [1, 2, 3, 4, 5, 6, 7])
@pytest.mark.parametrize("hw", [7, 8, 13])
def test_dropblock_mask_has_the_input_size(block_size: int, hw: int) -> None:
    torch.manual_seed(0)
    module = DropBlock(block_size, keep_prob=0.8).train()
    x = torch.ones(2, 3, hw, hw)
    out = module(x)
    assert out.shape == x.shape
    valid = hw - min(block_size, hw) + 1
    mask = DropBlock.block_mask(torch.ones(2, 3, valid, valid), min(block_size, hw))
    assert mask.shape == x.shape


@pytest.mark.parametrize("block_size", [2, 3, 4, 5])
def test_dropblock_grows_each_centre_into_a_block_inside_the_map(block_size: int) -> None:
    hw = 10
    valid = hw - block_size + 1
    for i, j in [(0, 0), (valid - 1, valid - 1), (2, 3)]:
        centres = torch.zeros(1, 1, valid, valid)
        centres[0, 0, i, j] = 1
        expected = torch.zeros(1, 1, hw, hw)
        expected[0, 0, i : i + block_size, j : j + block_size] = 1
        assert torch.equal(DropBlock.block_mask(centres, block_size), expected)


def test_dropblock_is_identity_in_eval_and_rescales_in_train() -> None:
    torch.manual_seed(0)
    module = create("dropblock", keep_prob=0.7)
    x = torch.ones(4, 8, 32, 32)
    assert module.eval()(x) is x
    out = module.train()(x)
    kept = out != 0
    assert 0.5 < kept.float().mean().item() < 0.9  # about keep_prob of the units survive
    assert torch.allclose(out.sum(), x.sum(), rtol=1e-4)  # rescaled so the expected sum is kept


def test_dropblock_with_a_block_larger_than_the_map_does_not_fail() -> None:
    module = DropBlock(block_size=7, keep_prob=0.5).train()
    out = module(torch.ones(1, 2, 4, 4))
    assert out.shape == (1, 2, 4, 4)
    assert torch.isfinite(out).all()
