"""One pass at the aten dispatch level that prices every op a step runs, per module.

:class:`OpCounter` is a ``TorchDispatchMode``: it sees each aten op after autograd has decomposed
composite ones, in the forward and (train mode) in the backward, and prices it once:

* matmul-family ops (mm, addmm, bmm, convolution and their backward) with torch's own formulas
  from ``torch.utils.flop_counter`` (two FLOPs per multiply-add);
* fused kernels (attention, MHA and encoder-layer fast paths, oneDNN's LSTM) by the unfused
  computation they stand for (:mod:`modbench.metrics.fused`);
* element-wise, normalisation, pooling and reduction ops with modbench's handles
  (:mod:`modbench.metrics.elementwise`); data movement costs 0 and is listed by name;
* anything else is decomposed when PyTorch has a decomposition for it, and is otherwise listed as
  unsupported, and as *unpriced* when it touches a tensor of more than one element.

While :meth:`OpCounter.tracking_modules` is active, global forward pre/post hooks keep a stack of
the module being run, so each forward op is charged to the innermost module of the tree
(``""`` is the root); the backward is charged to one tally of its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from modbench.metrics.elementwise import HANDLES, ZERO_COST_OPS, largest_tensor
from modbench.metrics.fused import FUSED_PRICES, bind



@dataclass(frozen=True)
class Price:
    """How one aten op is priced: ``kind`` (fused, matmul, elementwise, zero_cost, decompose, unknown,
    unsupported), its name, and the formula or handle when the kind has one."""

    kind: str
    name: str
    how: Any = None


_PRICES: dict[Any, Price] = {}
"""Each op overload's price, found once per process (op → price does not depend on the call)."""


def _price_of(func: Any) -> Price:
    name = func.overloadpacket.__name__
    if name in FUSED_PRICES:
        price = Price("fused", name)  # looked up at each call: FUSED_PRICES is the one place to change a price
    elif func.overloadpacket in flop_registry:
        price = Price("matmul", name, flop_registry[func.overloadpacket])
    elif name in HANDLES:
        price = Price("elementwise", name, HANDLES[name])
    elif name in ZERO_COST_OPS:
        price = Price("zero_cost", name)
    else:  # PyTorch's decomposition, if the op has one, is tried on its first call
        price = Price("unknown" if func.namespace == "aten" else "unsupported", name)
    _PRICES[func] = price
    return price


@dataclass
class Tally:
    """FLOPs charged to one module (its own ops, not its children's), by kind and by op name."""

    flops_matmul: int = 0
    flops_elementwise: int = 0
    elementwise_by_op: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally, matmul_factor: int = 1, elementwise_factor: int = 1) -> None:
        self.flops_matmul += matmul_factor * other.flops_matmul
        self.flops_elementwise += elementwise_factor * other.flops_elementwise
        for name, flops in other.elementwise_by_op.items():
            self.elementwise_by_op[name] += elementwise_factor * flops


class OpCounter(TorchDispatchMode):
    """Prices every aten op run under it; see the module docstring.

    After the run: ``forward`` (module path → :class:`Tally`), ``backward`` (one :class:`Tally`),
    and the op names seen as ``zero_cost``, ``unsupported`` and ``unpriced``, with how often.
    """

    def __init__(self, root: nn.Module) -> None:
        super().__init__()
        self.forward: dict[str, Tally] = {"": Tally()}
        self.backward = Tally()
        self.zero_cost: Counter[str] = Counter()
        self.unsupported: Counter[str] = Counter()
        self.unpriced: Counter[str] = Counter()
        self._paths = {id(sub): path for path, sub in root.named_modules()}
        self._stack = [self.forward[""]]

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        """Leave ``__torch_dispatch__`` unwrapped (torch's hook for dispatch modes; its default is True).

        Torch wraps a dispatch mode's ``__torch_dispatch__`` so that torch.compile does not trace
        into it, and that wrapper imports ``torch._dynamo`` on its first call: 1-2 s of imports
        in a process that counts for the first time (``modbench.measure`` in a user's session;
        a measuring child has it from its forkserver). Counting always runs on the eager module
        (the execution knobs, torch.compile among them, are applied after it), so the wrapper
        guards nothing here.
        """
        return False

    @property
    def current(self) -> Tally:
        return self._stack[-1]

    def start_backward(self) -> None:
        """Charge what runs from now on to the backward tally."""
        self._stack = [self.backward]

    @contextmanager
    def tracking_modules(self) -> Iterator[None]:
        """Charge forward ops to the innermost running submodule of the root (hooks on every module)."""
        def enter(module: nn.Module, args: Any) -> None:
            path = self._paths.get(id(module))
            self._stack.append(self.current if path is None else self.forward.setdefault(path, Tally()))

        def leave(module: nn.Module, args: Any, output: Any) -> None:
            if len(self._stack) > 1:
                self._stack.pop()

        handles = [
            nn.modules.module.register_module_forward_pre_hook(enter),
            nn.modules.module.register_module_forward_hook(leave),
        ]
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()

    # --- what fused prices call (modbench.metrics.fused.Pricing) ---

    def add_matmul(self, flops: int) -> None:
        self.current.flops_matmul += int(flops)

    def add_elementwise(self, name: str, flops: int) -> None:
        tally = self.current
        tally.flops_elementwise += flops
        tally.elementwise_by_op[name] += flops

    def priced(self, replay: Callable[[], object], matmul_factor: int = 1, elementwise_factor: int = 1) -> None:
        """Run ``replay`` (ops on meta tensors) under this counter and charge its work, scaled."""
        scratch = Tally()
        self._stack.append(scratch)
        try:
            with self:
                replay()
        finally:
            self._stack.pop()
        self.current.add(scratch, matmul_factor, elementwise_factor)

    # --- dispatch ---

    def __torch_dispatch__(self, func: Any, types: Any, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        price = _PRICES.get(func) or _price_of(func)
        kind, name, how = price.kind, price.name, price.how
        if kind in ("decompose", "unknown"):
            with self:
                out = func.decompose(*args, **kwargs)
            if out is not NotImplemented:
                if kind == "unknown":
                    _PRICES[func] = Price("decompose", name)
                return out
            _PRICES[func] = Price("unsupported", name)
            kind = "unsupported"
        out = func(*args, **kwargs)
        if kind == "elementwise":
            self.add_elementwise(name, int(how(args, kwargs, out)))
        elif kind == "matmul":
            self.current.flops_matmul += int(how(*args, **kwargs, out_val=out))
        elif kind == "zero_cost":
            self.zero_cost[name] += 1
        elif kind == "fused":
            try:
                FUSED_PRICES[name](self, bind(func, tuple(args), kwargs))
            except (RuntimeError, TypeError, ValueError, NotImplementedError, AssertionError):
                self._note_unsupported(name, args, kwargs, out)  # a replay that fails: seen, not priced
        else:
            self._note_unsupported(name, args, kwargs, out)
        return out

    def _note_unsupported(self, name: str, args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> None:
        self.unsupported[name] += 1
        if max(largest_tensor(list(args)), largest_tensor(list(kwargs.values())), largest_tensor(out)) > 1:
            self.unpriced[name] += 1

    # --- results ---

    def forward_total(self) -> Tally:
        total = Tally()
        for tally in self.forward.values():
            total.add(tally)
        return total
