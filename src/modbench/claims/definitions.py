"""The claims of SPEC §4 as data: each quoted from its seed article, tested on catalog entries.

Words the seeds use are read as fixed thresholds (:data:`THRESHOLDS`), the same in every claim,
so a verdict never depends on a number chosen for one claim. "FLOPs" in the GhostNet,
MobileNetV3 and CBAM papers are multiply-adds, so those claims compare ``macs``; modbench's
``flops`` (two per multiply-add plus element-wise work) is shown beside them. Published figures
are data with their source, shown next to the measurements, never used in their place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modbench.claims.schema import (
    Check,
    Claim,
    Comparison,
    Expect,
    Growth,
    ProbeCheck,
    Published,
    Quote,
    Side,
    approx,
    at_most,
    by_formula,
    equals,
    freeze,
)
from modbench.claims.sweeps import GHOST_SWEEP, GMLP_SEQ_LENS, GhostPoint, ghost_speedup
from modbench.errors import UsageError, closest

SEED_000 = "000_fc0367ff21d6b9af.txt"
SEED_001 = "001_6c60effe9a579057.txt"
SEED_002 = "002_6e73fe69cf8010e9.txt"
SEED_003 = "003_8a18f65d998948f5.txt"
SEED_004 = "004_81c9ba79a33398cc.txt"

ABOUT = 0.10
FEWER = 0.95
FASTER = 0.95
GREATLY = 0.5
FAR_FEWER = 0.1
NEGLIGIBLE = 1.05
COMPARABLE = 1.25
LINEAR_GROWTH = 1.2

THRESHOLDS: tuple[tuple[str, str], ...] = (
    ("about x (约)", f"within {ABOUT:.0%} of x"),
    ("reduces, fewer, lower (减少)", f"ratio ≤ {FEWER} (at least 5 % less)"),
    ("faster, speeds up (提升速度)", f"latency ratio ≤ {FASTER}"),
    ("greatly, markedly (大大, 显著)", f"ratio ≤ {GREATLY}"),
    ("far fewer, enormous (十分庞大)", f"ratio ≤ {FAR_FEWER} (an order of magnitude)"),
    ("almost none, minimal (几乎不, 极少)", f"ratio ≤ {NEGLIGIBLE} (at most 5 % more)"),
    ("comparable (相当)", f"ratio ≤ {COMPARABLE}"),
    ("efficient on long input", f"growth exponent ≤ {LINEAR_GROWTH} (at most linear)"),
)
"""How the seeds' words are read: (the words, the check)."""

VERDICT_RULE = (
    "Each voting check holds or is refuted by its measured number; a check whose number is missing "
    "(not measured, or measured on another device) is unmeasured. A claim holds when every measured "
    "voting check holds, is refuted when none does, is mixed when some do, and is unmeasured when "
    "none of its voting checks was measured. Context checks are shown and never vote."
)

# Context checks every cost comparison shows next to its voting ones.
_FLOPS = Check("flops", "FLOPs ratio (2 per MAC + element-wise)")
_PARAMS = Check("params", "params ratio")
_MACS = Check("macs", "MACs ratio")
_LATENCY = Check("latency_ms", "latency ratio")
_PEAK = Check("peak_bytes", "peak memory ratio")
_GFLOPS = Check("gflops_achieved", "achieved GFLOP/s ratio")

_FASTER_LATENCY = Check("latency_ms", "latency ratio", at_most(FASTER, "faster: ≤ 0.95×"))


def _ghost_eq4(candidate: Mapping[str, Any], _baseline: Mapping[str, Any]) -> float:
    """1/r_s of GhostNet Eq. 4 for the candidate Ghost module's c, k, s, d."""
    return 1.0 / ghost_speedup(candidate["in_channels"], candidate["kernel_size"], candidate["ratio"], candidate["dw_size"])


def _one_over_s(candidate: Mapping[str, Any], _baseline: Mapping[str, Any]) -> float:
    return 1.0 / candidate["ratio"]


def _ghost_comparison(point: GhostPoint) -> Comparison:
    return Comparison(
        label=point.label(),
        candidate=point.ghost,
        baseline=point.conv,
        point=freeze(point.coordinates()),
        checks=(
            Check("macs", "MACs ratio vs Eq. 4", by_formula(_ghost_eq4, 0.05, "1/r_s, r_s = c·k²·s / (c·k² + (s−1)·d²), ±5 %")),
            Check("macs", "MACs ratio ≈ 1/s", by_formula(_one_over_s, ABOUT, "≈ 1/s (the seed's 1/m), ±10 %")),
            Check("params", "params ratio ≈ 1/s", by_formula(_one_over_s, ABOUT, "≈ 1/s, ±10 %")),
            _FASTER_LATENCY,
            _FLOPS,
            _GFLOPS,
            _PEAK,
        ),
    )


GHOST = Claim(
    id="ghost-vs-conv",
    number="1",
    statement="A Ghost module cuts a convolution's computation to about 1/s, and its parameters likewise.",
    seed=SEED_004,
    quotes=(
        Quote(
            "通过这种方式,Ghost 模块在保持与传统卷积相似表达能力的同时,将计算量减少到原来的 1/m。",
            "In this way the Ghost module keeps an expressive power similar to a conventional convolution "
            "while reducing the computation to 1/m of the original.",
        ),
        Quote(
            "初始特征提取:使用少量卷积核(约为传统卷积核数量的 1/m)生成初始特征图,这些特征图包含主要信息。",
            "Initial feature extraction: a few kernels (about 1/m as many as a conventional convolution's) "
            "generate the initial feature maps, which carry the main information.",
        ),
        Quote(
            "轻量级设计:引入的参数数量极少,适合资源受限的设备。",
            "Lightweight design: it introduces very few parameters, which suits resource-constrained devices.",
        ),
    ),
    paper="Han et al., GhostNet: More Features from Cheap Operations, CVPR 2020",
    table="Eq. 4 (speed-up r_s) and Eq. 5 (compression r_c); Table 5 (Ghost-ResNet-50)",
    comparisons=tuple(_ghost_comparison(point) for point in GHOST_SWEEP),
    rule=(
        "At every point of the sweep: MACs ratio within 5 % of Eq. 4's 1/r_s; MACs ratio within 10 % of 1/s; "
        "params ratio within 10 % of 1/s; latency ratio ≤ 0.95 (the saving shows in time)."
    ),
    decides=(
        "The seed's m is the paper's s, the module's `ratio`.",
        "Eq. 4 and Eq. 5 both give r = c·k²·s / (c·k² + (s−1)·d²). It is ≈ s only when d = k (then "
        "r = s·c/(s+c−1)) or when c·k² ≫ (s−1)·d². GhostNet itself uses k = 1 and d = 3, where "
        "r = 2c/(c+9) at s = 2: well below 2 for narrow inputs.",
        "The baseline is the catalog's `conv2d` (k×k conv + BN + ReLU) with the same c, n, k and "
        "resolution; the Ghost module's primary convolution has the same k, as in the paper.",
        "MACs count the two convolutions; batch norm and ReLU are element-wise work, in the FLOPs column.",
        "When s does not divide n the module computes s·ceil(n/s) maps and keeps n, a little more than "
        "Eq. 4's n/s.",
        "Where the MACs fall but the time does not, the report shows achieved GFLOP/s and arithmetic "
        "intensity of the primary convolution and of the depthwise cheap operation.",
    ),
    published=(
        Published("ResNet-50 parameters", 25.6, "M", "GhostNet paper, §1 and Table 5"),
        Published("ResNet-50 FLOPs (multiply-adds)", 4.1, "G", "GhostNet paper, §1 and Table 5"),
        Published("Ghost-ResNet-50 (s=2) parameters", 13.0, "M", "GhostNet paper, Table 5"),
        Published("Ghost-ResNet-50 (s=4) parameters", 6.5, "M", "GhostNet paper, Table 5"),
        Published("Ghost-ResNet-50 (s=4) FLOPs (multiply-adds)", 1.2, "G", "GhostNet paper, Table 5"),
    ),
)

_GHOSTNET_MACS = Check("macs", "MACs ratio", approx(0.70, ABOUT, "≈ 0.70 (about 30 % fewer), ±10 %"))

GHOSTNET = Claim(
    id="ghostnet-vs-mobilenetv3",
    number="2",
    statement="GhostNet has about 30 % fewer FLOPs than MobileNetV3.",
    seed=SEED_004,
    quotes=(
        Quote(
            "计算高效:Ghost 模块的计算复杂度显著低于传统卷积,例如在 ImageNet 分类任务中,GhostNet 的 FLOPs 比 "
            "MobileNetV3 减少了约 30%,但准确率相当。",
            "Computationally efficient: the Ghost module's complexity is markedly lower than a conventional "
            "convolution's; for example, on ImageNet classification GhostNet has about 30 % fewer FLOPs than "
            "MobileNetV3, at comparable accuracy.",
        ),
    ),
    paper="Han et al., GhostNet, CVPR 2020; Howard et al., Searching for MobileNetV3, ICCV 2019",
    table="GhostNet Table 7; MobileNetV3 Table 3",
    comparisons=(
        Comparison(
            "GhostNet 1.0× vs MobileNetV3-Large 1.0×",
            Side.of("ghostnet"),
            Side.of("mobilenetv3_large", width_mult=1.0),
            (_GHOSTNET_MACS, _FASTER_LATENCY, _PARAMS, _FLOPS, _PEAK),
        ),
        Comparison(
            "GhostNet 1.0× vs MobileNetV3-Large 0.75×",
            Side.of("ghostnet"),
            Side.of("mobilenetv3_large", width_mult=0.75),
            (_GHOSTNET_MACS, _FASTER_LATENCY, _PARAMS, _FLOPS, _PEAK),
        ),
    ),
    rule="Against each MobileNetV3-Large width: MACs ratio within 10 % of 0.70; latency ratio ≤ 0.95.",
    decides=(
        "\"FLOPs\" in both papers are multiply-adds: the check compares `macs`.",
        "The seed does not say which MobileNetV3. By the papers' own figures (below), against 1.0× GhostNet "
        "saves more than 30 % of the multiply-adds but is 1.3 points less accurate; against 0.75×, the width "
        "whose published accuracy is comparable, it saves about 9 %. Both widths are checked "
        "(`mobilenetv3_large` takes `width_mult`; its 0.75× keeps the 1280-wide head, as the paper's model does).",
    ),
    out_of_scope=(
        "但准确率相当 (at comparable accuracy): accuracy is out of scope. The published top-1 figures are "
        "listed only because they decide which width the seed's comparison can mean.",
    ),
    published=(
        Published("GhostNet 1.0× FLOPs (multiply-adds)", 141, "M", "GhostNet paper, Table 7"),
        Published("GhostNet 1.0× parameters", 5.2, "M", "GhostNet paper, Table 7"),
        Published("GhostNet 1.0× top-1", 73.9, "%", "GhostNet paper, Table 7"),
        Published("MobileNetV3-Large 1.0× multiply-adds", 219, "M", "MobileNetV3 paper, Table 3"),
        Published("MobileNetV3-Large 1.0× parameters", 5.4, "M", "MobileNetV3 paper, Table 3"),
        Published("MobileNetV3-Large 1.0× top-1", 75.2, "%", "MobileNetV3 paper, Table 3"),
        Published("MobileNetV3-Large 0.75× multiply-adds", 155, "M", "MobileNetV3 paper, Table 3"),
        Published("MobileNetV3-Large 0.75× parameters", 4.0, "M", "MobileNetV3 paper, Table 3"),
        Published("MobileNetV3-Large 0.75× top-1", 73.3, "%", "MobileNetV3 paper, Table 3"),
    ),
)

NIN_HEAD = Claim(
    id="nin-head",
    number="3a",
    statement="NiN's 1×1-conv + global-average-pool head removes the fully connected layers and their parameters.",
    seed=SEED_001,
    quotes=(
        Quote(
            "NiN放弃了使用全连接层,而是使用两个1x1卷积层(将空间维度中的每个像素视为单个样本,将通道维度视为不同特征。),"
            "相当于在每个像素的通道上分别使用多层感知机",
            "NiN gives up fully connected layers and uses two 1×1 convolution layers instead (each pixel of the "
            "spatial dimensions is treated as a sample and the channels as its features), which amounts to a "
            "multilayer perceptron applied to each pixel's channels",
        ),
        Quote(
            "优点:NiN去除了全连接层,可以减少过拟合,同时显著减少NiN的参数数量",
            "Advantage: NiN removes the fully connected layers, which can reduce overfitting and markedly "
            "reduces NiN's parameter count",
        ),
    ),
    paper="Lin et al., Network In Network, ICLR 2014",
    table=None,
    comparisons=(
        Comparison(
            "NiN (1×1 convs + global average pool) vs the same trunk with an AlexNet-style FC head",
            Side.of("nin"),
            Side.of("nin_fc_head"),
            (
                Check("params", "params ratio", at_most(GREATLY, "markedly fewer: ≤ 0.5×")),
                _MACS,
                _FLOPS,
                _LATENCY,
                _PEAK,
                Check("activation_bytes", "activation memory ratio"),
            ),
        ),
    ),
    rule="Params ratio ≤ 0.5 (markedly fewer).",
    decides=(
        "`nin_fc_head` is not in the seed: it is the comparison the claim implies, seed 001's trunk with "
        "AlexNet's head (Flatten, Linear(384·5·5, 4096), Linear(4096, 4096), Linear(4096, 10), ReLU and "
        "dropout between) in place of the last NiN block and the global average pool.",
    ),
    out_of_scope=("可以减少过拟合 (can reduce overfitting): generalisation, out of scope.",),
)

_PROBE_TOLERANCE = 1e-5

NIN_CONV_IS_FC = Claim(
    id="nin-1x1-conv-is-fc",
    number="3b",
    statement="A 1×1 convolution computes the same as a fully connected layer applied to every pixel.",
    seed=SEED_001,
    quotes=(
        Quote(
            "因为1个1x1卷基层相当于全连接层,两个1x1卷积层使输入和输出层中间有了隐藏层,才相当于多层感知机。",
            "Because one 1×1 convolution layer is equivalent to a fully connected layer; two 1×1 convolution "
            "layers put a hidden layer between input and output, which makes them a multilayer perceptron.",
        ),
    ),
    paper="Lin et al., Network In Network, ICLR 2014",
    table=None,
    comparisons=(),
    probes=(
        ProbeCheck(
            "conv1x1_linear_max_abs_diff",
            "largest difference, 1×1 conv vs per-pixel Linear (relative to the largest output)",
            at_most(_PROBE_TOLERANCE, "≤ 1e-5 (fp32 rounding)"),
        ),
        ProbeCheck("conv1x1_linear_param_diff", "params(1×1 conv) − params(Linear)", equals(0, "= 0")),
        ProbeCheck("conv1x1_linear_macs_diff", "MACs(1×1 conv) − MACs(Linear over all pixels)", equals(0, "= 0")),
    ),
    rule="The outputs agree to fp32 rounding (relative max difference ≤ 1e-5); parameters and MACs are equal.",
    decides=(
        "The probe takes the first 1×1 convolution of the catalog's `nin_block` (its input: the block's "
        "k×k conv + ReLU output on the example input), copies its weight and bias into an nn.Linear, and "
        "applies the Linear to every pixel's channel vector (N×C×H×W → N·H·W×C).",
    ),
)

CBAM = Claim(
    id="cbam-overhead",
    number="4",
    statement="CBAM adds only about 0.1 % parameters to ResNet-50 and negligible compute.",
    seed=SEED_004,
    quotes=(
        Quote(
            "轻量级设计:引入的参数和计算开销极少,例如在 ResNet-50 中集成 CBAM 仅增加约 0.1% 的参数。",
            "Lightweight design: the parameters and computation it introduces are minimal; for example, "
            "integrating CBAM into ResNet-50 adds only about 0.1 % parameters.",
        ),
    ),
    paper="Woo et al., CBAM: Convolutional Block Attention Module, ECCV 2018",
    table="Table 4 (ImageNet, ResNet-50)",
    comparisons=(
        Comparison(
            "ResNet-50 + CBAM vs ResNet-50",
            Side.of("resnet50_cbam"),
            Side.of("resnet50"),
            (
                Check("params", "params ratio", Expect("approx", 1.001, 0.001, "≈ 1.001 (+0.1 %), +0.0 to +0.2 %")),
                Check("macs", "MACs ratio", at_most(NEGLIGIBLE, "negligible: ≤ 1.05×")),
                Check("flops", "FLOPs ratio (with element-wise)", at_most(NEGLIGIBLE, "negligible: ≤ 1.05×")),
                Check("latency_ms", "latency ratio", at_most(NEGLIGIBLE, "negligible: ≤ 1.05×")),
                _PEAK,
            ),
        ),
    ),
    rule="Params ratio within +0.0 … +0.2 %; MACs, FLOPs and latency ratios ≤ 1.05 (negligible).",
    decides=(
        "Where CBAM sits: on every bottleneck's residual branch output, after its last batch norm and "
        "before the addition (CBAM paper, Fig. 3); reduction 16, 7×7 spatial convolution.",
        "The paper's own Table 4 lists 25.56 M → 28.09 M parameters (+9.9 %) and 3.858 → 3.864 GFLOPs "
        "(+0.16 %): the seed's \"0.1 %\" matches the FLOPs, not the parameters.",
        "\"FLOPs\" in the CBAM paper are multiply-adds (`macs`). modbench's `flops` also price CBAM's "
        "pooling, sigmoids and multiplications, which a MAC count leaves out.",
    ),
    published=(
        Published("ResNet-50 parameters", 25.56, "M", "CBAM paper, Table 4"),
        Published("ResNet-50 GFLOPs (multiply-adds)", 3.858, "G", "CBAM paper, Table 4"),
        Published("ResNet-50 + CBAM parameters", 28.09, "M", "CBAM paper, Table 4"),
        Published("ResNet-50 + CBAM GFLOPs (multiply-adds)", 3.864, "G", "CBAM paper, Table 4"),
    ),
)

_NEGLIGIBLE_CHECKS = (
    Check("params", "params ratio", at_most(NEGLIGIBLE, "almost none: ≤ 1.05×")),
    Check("macs", "MACs ratio", at_most(NEGLIGIBLE, "almost none: ≤ 1.05×")),
    Check("latency_ms", "latency ratio", at_most(NEGLIGIBLE, "almost none: ≤ 1.05×")),
    _FLOPS,
    _PEAK,
)


def _coordconv_comparison(label: str, c: int, n: int, hw: int) -> Comparison:
    return Comparison(
        label,
        Side.of("coordconv", in_channels=c, out_channels=n, kernel_size=3, hw=hw),
        Side.of("conv2d", in_channels=c, out_channels=n, kernel_size=3, hw=hw),
        _NEGLIGIBLE_CHECKS,
        point=freeze({"c": c, "n": n, "hw": hw}),
    )


COORDCONV = Claim(
    id="coordconv-overhead",
    number="5",
    statement="CoordConv adds almost no parameters or compute.",
    seed=SEED_004,
    quotes=(
        Quote(
            "简单高效:只需在输入特征图中添加两个通道,几乎不增加计算复杂度和参数数量。",
            "Simple and efficient: it only adds two channels to the input feature map, adding almost no "
            "computational complexity or parameters.",
        ),
    ),
    paper="Liu et al., An intriguing failing of convolutional neural networks and the CoordConv solution, NeurIPS 2018",
    table=None,
    comparisons=(
        _coordconv_comparison("seed 004's own example: 3 → 16 channels, 32×32", 3, 16, 32),
        _coordconv_comparison("catalog default: 32 → 64 channels, 32×32", 32, 64, 32),
        _coordconv_comparison("wide input: 256 → 256 channels, 28×28", 256, 256, 28),
    ),
    rule="At each width: params, MACs and latency ratios ≤ 1.05 (almost none).",
    decides=(
        "Two coordinate channels add 2/c to a k×k convolution's weights and MACs (3/c with the radius "
        "channel): negligible for a wide input, not for an RGB image (c = 3), the seed's own example.",
        "The baseline `conv2d` has batch norm + ReLU and no bias; `coordconv` has a bias and neither, as "
        "in the seed. The params ratio therefore weighs n biases against 2n batch-norm parameters, and the "
        "latency ratio weighs building and concatenating the coordinate channels against BN + ReLU.",
    ),
)


def _activation(entry: str, channels: int, hw: int, mode: str = "infer") -> Side:
    return Side.of(entry, channels=channels, hw=hw, mode=mode)


_SWISH_FLOPS = Check("flops", "FLOPs ratio", equals(2.0, "= 2 (one multiply + one sigmoid vs one max)", 1e-9))
_SWISH_LATENCY = Check("latency_ms", "latency ratio", at_most(COMPARABLE, "comparable: ≤ 1.25×"))

SWISH = Claim(
    id="swish-vs-relu",
    number="6",
    statement="Swish costs about as much as ReLU: one multiplication and one sigmoid.",
    seed=SEED_004,
    quotes=(
        Quote(
            "计算高效:Swish 的计算复杂度与 ReLU 相当,只需一次乘法和一次 Sigmoid 运算。",
            "Computationally efficient: Swish's computational complexity is comparable to ReLU's, needing only "
            "one multiplication and one sigmoid.",
        ),
    ),
    paper="Ramachandran et al., Searching for Activation Functions, 2017",
    table=None,
    comparisons=(
        Comparison("Swish vs ReLU, 32×32×32 (seed's test size)", _activation("swish", 32, 32), _activation("relu", 32, 32), (_SWISH_FLOPS, _SWISH_LATENCY, _PEAK)),
        Comparison("Swish vs ReLU, 64×112×112", _activation("swish", 64, 112), _activation("relu", 64, 112), (_SWISH_FLOPS, _SWISH_LATENCY, _PEAK)),
        Comparison("SiLU (fused) vs ReLU, 64×112×112", _activation("silu", 64, 112), _activation("relu", 64, 112), (_FLOPS, _LATENCY, _PEAK)),
        Comparison("Swish vs SiLU (fused), 64×112×112", _activation("swish", 64, 112), _activation("silu", 64, 112), (_FLOPS, _LATENCY, _PEAK)),
        Comparison(
            "Swish vs ReLU, forward + backward, 64×112×112",
            _activation("swish", 64, 112, "train"),
            _activation("relu", 64, 112, "train"),
            (_LATENCY, _PEAK),
        ),
    ),
    rule="Swish vs ReLU at both sizes: FLOPs ratio = 2 (the seed's op count); latency ratio ≤ 1.25 (comparable).",
    decides=(
        "modbench prices each element-wise op at 1 FLOP per element: sigmoid 1, multiply 1, ReLU 1. A sigmoid "
        "really evaluates an exponential and a division, so the FLOP ratio understates its cost; time decides "
        "\"comparable\".",
        "Swish as the seed writes it, x * torch.sigmoid(x), runs two kernels and writes an intermediate tensor; "
        "torch's SiLU computes the same function in one kernel (shown for context).",
    ),
    out_of_scope=("The seed's accuracy claims for Swish (better than ReLU on ImageNet, smoother gradients).",),
)

_DROPBLOCK_EVAL = Side.of("dropblock")
_DROPBLOCK_TRAIN = Side.of("dropblock", mode="train")

DROPBLOCK = Claim(
    id="dropblock-free-at-inference",
    number="7",
    statement="DropBlock has no parameters and no inference cost.",
    seed=SEED_004,
    quotes=(
        Quote(
            "块丢弃:在训练过程中,DropBlock 随机选择一些区域(块),并将这些区域内的所有特征值置为 0。",
            "Block dropping: during training, DropBlock randomly picks some regions (blocks) and sets every "
            "feature value in them to 0.",
        ),
        Quote(
            "if not self.training or self.keep_prob == 1.0:return x",
            "(the seed's code) outside training, or with keep_prob 1, return the input unchanged.",
        ),
        Quote(
            "易于实现:DropBlock 可以很容易地集成到现有的神经网络中,只需替换传统的 Dropout 层。",
            "Easy to implement: DropBlock integrates easily into existing networks by just replacing the "
            "conventional Dropout layer.",
        ),
    ),
    paper="Ghiasi et al., DropBlock: A regularization method for convolutional networks, NeurIPS 2018",
    table=None,
    comparisons=(
        Comparison(
            "DropBlock in eval mode",
            _DROPBLOCK_EVAL,
            None,
            (
                Check("params", "parameters", equals(0, "= 0"), on="candidate"),
                Check("macs", "MACs in eval", equals(0, "= 0"), on="candidate"),
                Check("flops", "FLOPs in eval", equals(0, "= 0"), on="candidate"),
            ),
        ),
        Comparison(
            "DropBlock in eval mode vs one ReLU on the same tensor",
            _DROPBLOCK_EVAL,
            Side.of("relu"),
            (Check("latency_ms", "latency ratio", at_most(1.0, "less than one element-wise pass: ≤ 1×")),),
        ),
        Comparison(
            "DropBlock vs Dropout, training step (forward + backward)",
            _DROPBLOCK_TRAIN,
            Side.of("dropout", mode="train"),
            (_FLOPS, _LATENCY, _PEAK),
        ),
        Comparison("DropBlock eval forward vs DropBlock training step", _DROPBLOCK_EVAL, _DROPBLOCK_TRAIN, (_LATENCY,)),
    ),
    rule="Params, eval MACs and eval FLOPs = 0; eval latency ≤ one ReLU over the same tensor.",
    decides=(
        "The seed says it through its prose (\"during training\") and its code (no parameters; forward "
        "returns its input unless training); SPEC §4 words it as the claim.",
        "\"No inference cost\" is read as: nothing counted, and less time than the cheapest real operation "
        "on the same tensor (one ReLU), i.e. only the Python call. Its training cost is shown against the "
        "Dropout it replaces.",
    ),
    out_of_scope=("More effective regularisation and robustness to occlusion (accuracy).",),
)

CNN_GMLP = Claim(
    id="cnn-gmlp-params",
    number="8a",
    statement="CNN-gMLP is more parameter-efficient than the plain CNN: the gMLP reduces the parameter count.",
    seed=SEED_000,
    quotes=(
        Quote(
            "参数效率: gMLP模块使用全局池化操作,可以有效减少参数数量,提高模型的参数效率。",
            "Parameter efficiency: the gMLP module uses a global pooling operation, which effectively reduces "
            "the number of parameters and improves the model's parameter efficiency.",
        ),
    ),
    paper="Liu et al., Pay Attention to MLPs (gMLP), NeurIPS 2021",
    table=None,
    comparisons=(
        Comparison(
            "CNN-gMLP vs CNN (seed 000, 10000×12 signal, 6 classes)",
            Side.of("signal_cnn_gmlp"),
            Side.of("signal_cnn"),
            (Check("params", "params ratio", at_most(FEWER, "fewer: ≤ 0.95×")), _MACS, _FLOPS, _LATENCY, _PEAK),
        ),
    ),
    rule="Params ratio ≤ 0.95 (fewer parameters).",
    decides=(
        "The gMLP block (the paper's; the seed imports an unnamed `gmlp` package) has no global pooling: each "
        "of its 6 blocks holds a seq_len×seq_len token-mixing projection, and the CNN-gMLP adds a 64-unit "
        "hidden layer before its classifier where the CNN maps the 400 features straight to 6 classes.",
    ),
    out_of_scope=(
        "提高模型的参数效率 (better parameter efficiency) in the sense of accuracy per parameter; only the "
        "cost half, fewer parameters, is checked.",
        "The seed's other CNN-gMLP claims, global information through \"global self-attention\" (gMLP has no "
        "self-attention) and less overfitting through Dropout, are about accuracy.",
    ),
)

_GMLP_BASE = freeze({"d_model": 10, "d_ffn": 20, "num_layers": 6})

GMLP_LONG = Claim(
    id="gmlp-long-sequences",
    number="8b",
    statement="gMLP handles long sequences efficiently (its cost as the sequence grows).",
    seed=SEED_000,
    quotes=(
        Quote(
            "处理长序列: gMLP模块可以有效处理长序列数据,避免了普通CNN模型在处理长序列时容易出现的信息丢失问题。",
            "Long sequences: the gMLP module handles long sequence data effectively, avoiding the information "
            "loss an ordinary CNN easily suffers on long sequences.",
        ),
    ),
    paper="Liu et al., Pay Attention to MLPs (gMLP), NeurIPS 2021",
    table=None,
    comparisons=(),
    growth=(
        Growth("params vs seq_len", "gmlp", "seq_len", GMLP_SEQ_LENS, "params", at_most(LINEAR_GROWTH, "at most linear: exponent ≤ 1.2"), _GMLP_BASE),
        Growth("MACs vs seq_len", "gmlp", "seq_len", GMLP_SEQ_LENS, "macs", at_most(LINEAR_GROWTH, "at most linear: exponent ≤ 1.2"), _GMLP_BASE),
        Growth("latency vs seq_len", "gmlp", "seq_len", GMLP_SEQ_LENS, "latency_ms", None, _GMLP_BASE),
        Growth("peak memory vs seq_len", "gmlp", "seq_len", GMLP_SEQ_LENS, "peak_bytes", None, _GMLP_BASE),
    ),
    rule="Growth exponents of params and MACs over the three longest sequences ≤ 1.2 (at most linear).",
    decides=(
        "The cost side of \"handles long sequences\": how parameters, MACs and time grow with seq_len at seed "
        "000's widths (d_model 10, d_ffn 20, 6 blocks). Each block's spatial gating unit is a seq_len×seq_len "
        "projection, so parameters and token-mixing MACs grow with the square of the length, as attention does.",
        "The exponent is the log-log slope over the three longest sequences, where the leading term dominates.",
    ),
    out_of_scope=("Avoiding the information loss of a CNN on long sequences (accuracy).",),
)

_S2MLP = Side.of("s2mlpv2_block", channels=64, hw=28)
_S2MLP_CHECKS = (
    Check("macs", "MACs ratio", at_most(FEWER, "lower: ≤ 0.95×")),
    _FASTER_LATENCY,
    _PARAMS,
    _FLOPS,
    _PEAK,
)

S2MLP = Claim(
    id="s2mlp-vs-conv",
    number="9",
    statement="Replacing convolution with MLPs (S2-MLPv2) lowers computation and speeds up inference.",
    seed=SEED_002,
    quotes=(
        Quote(
            "通过将卷积层替换为MLP,模型可以在不显著降低性能的同时减少计算成本。",
            "By replacing convolution layers with MLPs, a model can cut its computational cost without "
            "significantly lowering performance.",
        ),
        Quote(
            "这种替代不仅带来了模型推理速度的提升,还在参数效率方面表现出色。",
            "This replacement not only speeds up inference but also does well in parameter efficiency.",
        ),
    ),
    paper="Yu et al., S2-MLPv2: Improved Spatial-Shift MLP Architecture for Vision, 2021",
    table=None,
    comparisons=(
        Comparison("S2-MLPv2 block vs one 3×3 conv layer (64 channels, 28×28)", _S2MLP, Side.of("conv2d", in_channels=64, out_channels=64, kernel_size=3, hw=28), _S2MLP_CHECKS),
        Comparison("S2-MLPv2 block vs a ResNet basic block (64 channels, 28×28)", _S2MLP, Side.of("residual_basic", in_channels=64, out_channels=64, hw=28), _S2MLP_CHECKS),
    ),
    rule="Against each conv baseline: MACs ratio ≤ 0.95 (lower computation); latency ratio ≤ 0.95 (faster).",
    decides=(
        "\"A conv block of equal width\": 64 channels in and out at 28×28. Two baselines, because the verdict "
        "depends on which: one 3×3 convolution layer (`conv2d`, the seed's literal \"convolution layer\") and "
        "a ResNet basic block (two 3×3 convolutions and a residual, a block like S2-MLPv2's, which has a token "
        "mixer and a channel MLP).",
        "The S2-MLPv2 block follows the paper (mlp_ratio 3, channels-last input); the seed's snippet is partial "
        "(see the `s2mlpv2_block` entry for how it differs).",
    ),
    out_of_scope=(
        "不显著降低性能 (without significantly lowering performance) and parameter efficiency in the sense of "
        "accuracy per parameter (parameters are shown for context).",
    ),
)

INCEPTION = Claim(
    id="inception-reductions",
    number="10",
    statement="1×1 reductions in Inception greatly reduce parameters and computation.",
    seed=SEED_003,
    quotes=(
        Quote(
            "首要问题就是参数太多,导致特征图厚度太大。为了解决这个问题,作者在其中加入了1X1的卷积核,改进后的Inception结构如下图",
            "The main problem is too many parameters, which makes the feature maps too thick. To solve it the "
            "authors added 1×1 convolution kernels; the improved Inception structure is shown below",
        ),
        Quote(
            "这样做有两个好处,首先是大大减少了参数量,其次,增加的1X1卷积后面也会跟着有非线性激励,这样同时也能够提升网络的表达能力。",
            "This has two benefits: first, it greatly reduces the number of parameters; second, each added 1×1 "
            "convolution is followed by a non-linearity, which also improves the network's expressive power.",
        ),
    ),
    paper="Szegedy et al., Going Deeper with Convolutions, CVPR 2015",
    table="Table 1 (inception 3a); Figure 2",
    comparisons=(
        Comparison(
            "inception(3a) with 1×1 reductions vs without (192×28×28 input)",
            Side.of("inception"),
            Side.of("inception_naive"),
            (
                Check("params", "params ratio", at_most(GREATLY, "greatly: ≤ 0.5×")),
                Check("macs", "MACs ratio", at_most(GREATLY, "greatly: ≤ 0.5×")),
                _FASTER_LATENCY,
                _FLOPS,
                _PEAK,
            ),
        ),
    ),
    rule="Params and MACs ratios ≤ 0.5 (greatly); latency ratio ≤ 0.95 (the saving shows in time).",
    decides=(
        "Both modules at inception (3a)'s input, 192×28×28, with its branch widths (64, 128, 32). The naive "
        "module's pool branch passes all 192 input channels through, so it outputs 416 channels against 256: "
        "the reductions also save work in the next layer, which this comparison does not count.",
    ),
    out_of_scope=("提升网络的表达能力 (improves the network's expressive power): accuracy.",),
    published=(
        Published("inception (3a) parameters", 159, "K", "GoogLeNet paper, Table 1"),
        Published("inception (3a) operations (multiply-adds)", 128, "M", "GoogLeNet paper, Table 1"),
    ),
)

_FAR_FEWER_CHECKS = (
    Check("params", "params ratio", at_most(FAR_FEWER, "far fewer: ≤ 0.1×")),
    Check("macs", "MACs ratio", at_most(FAR_FEWER, "far less: ≤ 0.1×")),
    _FASTER_LATENCY,
    _PEAK,
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
            "A CNN, a convolutional neural network, is an optimisation of the fully connected network that turns "
            "its fully connected layers into convolution layers. Why? (A fully connected layer's parameters "
            "involve every value passed from the previous layer; the computation is enormous and takes a lot of "
            "resources.)",
        ),
    ),
    paper=None,
    table=None,
    comparisons=(
        Comparison(
            "seed 003's LeNet first layer: conv 1→10, 5×5 on 28×28 vs Linear(784, 7840)",
            Side.of("conv2d", in_channels=1, out_channels=10, kernel_size=5, hw=28),
            Side.of("linear", in_features=784, out_features=7840),
            _FAR_FEWER_CHECKS,
        ),
        Comparison(
            "conv 3→16, 3×3 on 32×32 vs Linear(3072, 16384)",
            Side.of("conv2d", in_channels=3, out_channels=16, kernel_size=3, hw=32),
            Side.of("linear", in_features=3072, out_features=16384),
            _FAR_FEWER_CHECKS,
        ),
    ),
    rule="At both sizes: params and MACs ratios ≤ 0.1 (far fewer); latency ratio ≤ 0.95.",
    decides=(
        "Both sides map the same input to an output of the same size: `conv2d` pads k//2, so 1×28×28 becomes "
        "10×28×28 and the fully connected layer doing that is Linear(784, 7840); 3×32×32 → 16×32×32 is "
        "Linear(3072, 16384).",
    ),
)

EMBEDDING = Claim(
    id="embedding-vs-onehot",
    number="11b",
    statement="Embeddings are cheaper than one-hot inputs.",
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
    paper=None,
    table=None,
    comparisons=(
        Comparison(
            "seed's vocabulary: Embedding(4, 10) vs one-hot × Linear(4, 10), 5 tokens",
            Side.of("embedding", num_embeddings=4, embedding_dim=10, seq_len=5),
            Side.of("linear", in_features=4, out_features=10, bias=False, batch=5),
            (Check("macs", "MACs ratio", at_most(FAR_FEWER, "far less: ≤ 0.1×")), _FASTER_LATENCY, _PARAMS, _PEAK),
        ),
        Comparison(
            "10k vocabulary: Embedding(10000, 128) vs one-hot × Linear(10000, 128), 64 tokens",
            Side.of("embedding", num_embeddings=10000, embedding_dim=128, seq_len=64),
            Side.of("linear", in_features=10000, out_features=128, bias=False, batch=64),
            (Check("macs", "MACs ratio", at_most(FAR_FEWER, "far less: ≤ 0.1×")), _FASTER_LATENCY, _PARAMS, _PEAK),
        ),
    ),
    rule="At both vocabulary sizes: MACs ratio ≤ 0.1; latency ratio ≤ 0.95.",
    decides=(
        "Decision: `embedding` (V, D, one sequence of L tokens) against `linear` with in_features = V, "
        "out_features = D and no bias, fed L one-hot rows (batch = L): the one-hot × weight product a lookup "
        "replaces. The weight matrix is the same V×D, so parameters are equal by construction; what differs "
        "is V·D multiply-adds per token against none, and a V-wide float input per token against one id.",
        "The `linear` entry's example input is random, not one-hot; a dense matmul costs the same for any values.",
        "`char_rnn` against `char_rnn_embedding` is not used: the seed's two models also differ in hidden size "
        "and depth, and at its vocabulary of 4 an embedding of width 10 widens the RNN's input.",
    ),
    out_of_scope=("硬编码 vs 从数据中学习 (hard-coded vs learned): representation quality, not cost.",),
)

CLAIMS: tuple[Claim, ...] = (
    GHOST,
    GHOSTNET,
    NIN_HEAD,
    NIN_CONV_IS_FC,
    CBAM,
    COORDCONV,
    SWISH,
    DROPBLOCK,
    CNN_GMLP,
    GMLP_LONG,
    S2MLP,
    INCEPTION,
    CONV_VS_FC,
    EMBEDDING,
)


def get_claims(ids: list[str] | None = None) -> tuple[Claim, ...]:
    """The claims with these ids (all when ``ids`` is empty); an unknown id names the closest ones."""
    if not ids:
        return CLAIMS
    by_id = {claim.id: claim for claim in CLAIMS}
    for claim_id in ids:
        if claim_id not in by_id:
            hints = closest(claim_id, by_id) or list(by_id)
            raise UsageError(f"unknown claim {claim_id!r}; choose from: {', '.join(hints)}")
    return tuple(by_id[claim_id] for claim_id in dict.fromkeys(ids))
