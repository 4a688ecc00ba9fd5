"""The ViT encoder block and the small ViT: parameters and MACs against closed forms (exact), eval and train."""

from __future__ import annotations

import pytest
import torch

from modbench.catalog import get_entry
from modbench.metrics.counting import count_ops
from modbench.metrics.params import count_parameters


def block_params(d_model: int, mlp_ratio: int) -> int:
    """Two LayerNorms (2d each), packed q/k/v and output projections (4d² + 4d), the MLP (2rd² + rd + d)."""
    return 4 * d_model + 4 * d_model**2 + 4 * d_model + 2 * mlp_ratio * d_model**2 + mlp_ratio * d_model + d_model


def block_macs(batch: int, tokens: int, d_model: int, mlp_ratio: int) -> int:
    """Projections (4d² per token), the MLP (2rd² per token), attention (2·N²·d: QKᵀ and ·V over all heads)."""
    return batch * tokens * (4 + 2 * mlp_ratio) * d_model**2 + 2 * batch * tokens**2 * d_model


def vit_params(image: int, patch: int, d_model: int, depth: int, mlp_ratio: int, classes: int) -> int:
    tokens = (image // patch) ** 2 + 1
    patch_embed = 3 * patch * patch * d_model + d_model
    return patch_embed + d_model + tokens * d_model + depth * block_params(d_model, mlp_ratio) + 2 * d_model \
        + d_model * classes + classes


def vit_macs(batch: int, image: int, patch: int, d_model: int, depth: int, mlp_ratio: int, classes: int) -> int:
    patches = (image // patch) ** 2
    return batch * patches * 3 * patch * patch * d_model + depth * block_macs(batch, patches + 1, d_model, mlp_ratio) \
        + batch * d_model * classes


def _measured(name: str, config: dict[str, int], mode: str, batch: int = 2) -> tuple[int, int]:
    entry = get_entry(name)
    module, merged = entry.build(config)
    counts = count_ops(module, entry.inputs(merged, batch), mode, input_grad=entry.family == "block")
    assert counts.unsupported_ops == () and counts.counter_note is None
    if mode == "train":
        assert counts.flops_backward is not None and counts.flops_backward > counts.flops_matmul
    return count_parameters(module).params, counts.macs


@pytest.mark.parametrize("mode", ["infer", "train"])
@pytest.mark.parametrize(("d_model", "heads", "mlp_ratio", "seq_len"), [(192, 3, 4, 197), (32, 4, 2, 9), (24, 1, 3, 1)])
def test_vit_block(mode: str, d_model: int, heads: int, mlp_ratio: int, seq_len: int) -> None:
    config = {"d_model": d_model, "heads": heads, "mlp_ratio": mlp_ratio, "seq_len": seq_len}
    params, macs = _measured("vit_block", config, mode)
    assert params == block_params(d_model, mlp_ratio)
    assert macs == block_macs(2, seq_len, d_model, mlp_ratio)


@pytest.mark.parametrize("mode", ["infer", "train"])
@pytest.mark.parametrize(("image", "patch", "d_model", "depth", "heads", "classes"), [(32, 8, 48, 2, 3, 10), (16, 4, 32, 3, 2, 7)])
def test_vit_tiny_small_configs(mode: str, image: int, patch: int, d_model: int, depth: int, heads: int, classes: int) -> None:
    config = {"image_size": image, "patch_size": patch, "d_model": d_model, "depth": depth, "heads": heads,
              "mlp_ratio": 4, "num_classes": classes}
    params, macs = _measured("vit_tiny", config, mode)
    assert params == vit_params(image, patch, d_model, depth, 4, classes)
    assert macs == vit_macs(2, image, patch, d_model, depth, 4, classes)


def test_vit_tiny_default_is_deit_tiny() -> None:
    module, config = get_entry("vit_tiny").build()
    # DeiT-Ti (Touvron et al. 2021, Table 1): 5.7M parameters, 1.3 GFLOPs (multiply-adds)
    assert count_parameters(module).params == vit_params(224, 16, 192, 12, 4, 1000) == 5_717_416
    assert vit_macs(1, 224, 16, 192, 12, 4, 1000) == 1_253_683_200


def test_vit_refuses_a_patch_that_does_not_tile_the_image() -> None:
    with pytest.raises(ValueError, match="multiple of patch_size"):
        get_entry("vit_tiny").factory(image_size=30, patch_size=16)


def test_vit_block_runs_the_fast_path_in_eval_and_costs_the_same() -> None:
    entry = get_entry("vit_block")
    module, config = entry.build({"d_model": 32, "heads": 4, "seq_len": 9})
    x = entry.inputs(config, 2)
    fast = count_ops(module, x)
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        slow = count_ops(module, x)
    finally:
        torch.backends.mha.set_fastpath_enabled(True)
    assert (fast.macs, fast.flops) == (slow.macs, slow.flops)
