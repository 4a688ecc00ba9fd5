"""The registry: registration, listing, creation with overrides, plugins, and its error messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from modbench.catalog import create, get_entry, list_entries, load_plugin, register
from modbench.catalog.inputs import vector
from modbench.catalog.registry import Entry, Source
from modbench.errors import UsageError
from modbench.metrics import target as target_module
from modbench.metrics.target import entry_target

SPEC_ENTRIES = {
    "conv2d", "linear", "depthwise_conv2d", "ghost", "cbam", "channel_attention", "spatial_attention",
    "coordconv", "dropblock", "dropout", "swish", "silu", "relu", "nin_block", "inception",
    "inception_naive", "residual_basic", "residual_bottleneck", "gmlp", "spatial_gating_unit",
    "s2mlpv2_block", "rnn_cell", "rnn", "lstm", "gru", "embedding", "signal_cnn", "signal_cnn_gmlp",
    "nin", "nin_fc_head", "lenet_mnist", "googlenet", "resnet50", "resnet50_cbam", "ghostnet",
    "mobilenetv3_large", "char_rnn", "char_rnn_embedding",
}


def test_catalog_holds_every_spec_entry() -> None:
    assert SPEC_ENTRIES <= set(list_entries())


@pytest.mark.parametrize("name", sorted(SPEC_ENTRIES))
def test_every_entry_documents_its_source(name: str) -> None:
    entry = get_entry(name)
    assert entry.summary, f"{name} needs a docstring"
    assert entry.source.seed or entry.source.paper
    assert entry.family in ("block", "model")


def _tiny(width: int = 3) -> nn.Module:
    return nn.Linear(width, width)


def test_register_refuses_a_duplicate_name(isolated_registry: dict[str, Entry]) -> None:
    decorator = register(family="block", example_input=vector("width"), source=Source(paper="test"), name="tiny_dup")
    decorator(_tiny)
    with pytest.raises(ValueError, match="already registered"):
        decorator(_tiny)


def test_register_returns_the_factory_unchanged(isolated_registry: dict[str, Entry]) -> None:
    decorated = register(family="block", example_input=vector("width"), source=Source(paper="t"), name="tiny_same")(_tiny)
    assert decorated is _tiny
    assert get_entry("tiny_same").default_config == {"width": 3}


def test_list_filters_by_wildcard_family_and_tag() -> None:
    assert set(list_entries("residual_*")) == {"residual_basic", "residual_bottleneck"}
    assert "resnet50" not in list_entries(family="block")
    assert "ghost" not in list_entries(family="model")
    assert "resnet50_cbam" not in list_entries("resnet*", exclude="*cbam")
    names = list_entries()
    assert names == sorted(names, key=lambda n: [int(p) if p.isdigit() else p for p in __import__("re").split(r"(\d+)", n)])


def test_create_with_overrides_and_none_dropped() -> None:
    module = create("linear", in_features=7, out_features=5, bias=None)
    assert isinstance(module, nn.Module)
    assert sum(p.numel() for p in module.parameters()) == 7 * 5 + 5


def test_unknown_entry_names_the_closest() -> None:
    with pytest.raises(UsageError, match="did you mean.*ghost"):
        get_entry("ghots")


def test_unknown_config_key_lists_the_valid_ones() -> None:
    with pytest.raises(UsageError, match="valid keys: .*in_channels"):
        get_entry("ghost").config({"in_chanels": 3})


@pytest.mark.parametrize(("value", "expected"), [("64", 64), (" 8 ", 8)])
def test_string_values_are_coerced_to_the_default_type(value: str, expected: int) -> None:
    assert get_entry("ghost").config({"in_channels": value})["in_channels"] == expected


@pytest.mark.parametrize("value", ["sixty-four", "3.5", ""])
def test_value_of_the_wrong_type_is_refused(value: str) -> None:
    with pytest.raises(UsageError, match="not a valid int"):
        get_entry("ghost").config({"in_channels": value})


def test_plugin_registers_entries_without_editing_modbench(tmp_path: Path, isolated_registry: dict[str, Entry]) -> None:
    plugin = tmp_path / "my_blocks.py"
    plugin.write_text(textwrap.dedent('''
        from torch import nn
        from modbench.catalog import register, Source
        from modbench.catalog.inputs import vector

        @register(family="block", example_input=vector("width"), source=Source(paper="mine"), tags=("mine",))
        def my_block(width: int = 6) -> nn.Module:
            """A user's block."""
            return nn.Linear(width, 2)
    '''))
    assert load_plugin(plugin) == ["my_block"]
    assert list_entries(tags="mine") == ["my_block"]


def test_missing_plugin_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_plugin(tmp_path / "nope.py")


class _Recorded(nn.Module):
    """A module whose constructor notes the device its weights are made on, and may read a tensor's value."""

    made_on: list[str] = []

    def __init__(self, width: int = 4, read_value: bool = False) -> None:
        super().__init__()
        self.linear = nn.Linear(width, width)
        _Recorded.made_on.append(self.linear.weight.device.type)
        if read_value and int(torch.tensor(width).item()) > 64:  # impossible on meta tensors
            raise ValueError("width must be at most 64")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def _register_recorded(name: str) -> None:
    register(family="block", example_input=vector("width"), source=Source(paper="test"), name=name)(_Recorded)
    _Recorded.made_on.clear()


def test_validating_an_entry_does_not_build_its_weights(isolated_registry: dict[str, Entry]) -> None:
    _register_recorded("tiny_recorded")
    target = entry_target("tiny_recorded")
    assert _Recorded.made_on == ["meta"]  # the check ran the constructor without real weights
    target.build()
    assert _Recorded.made_on == ["meta", "cpu"]  # the measured build is the only real one


def test_a_measuring_child_skips_the_check_its_measured_build_makes_anyway(
    isolated_registry: dict[str, Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(target_module, "_constructor_checks", True)  # restored after: this process is not a child
    _register_recorded("tiny_unchecked")
    target_module.skip_constructor_checks()
    entry_target("tiny_unchecked").build()
    assert _Recorded.made_on == ["cpu"]  # no meta build before the real one


def test_a_constructor_that_reads_tensor_values_is_checked_for_real(isolated_registry: dict[str, Entry]) -> None:
    _register_recorded("tiny_reader")
    entry_target("tiny_reader", {"read_value": True})
    assert _Recorded.made_on == ["meta", "cpu"]  # meta could not run it; a real build could
    with pytest.raises(UsageError, match="width must be at most 64"):
        entry_target("tiny_reader", {"read_value": True, "width": 65})
