"""Models from outside the catalog, named on the command line like catalog entries.

A name with a colon is resolved here instead of in the registry:

* ``PACKAGE.MODULE:CALLABLE`` imports the module (the current directory is searched first, as
  ``python -m`` would) and takes the callable, a function or an ``nn.Module`` class;
* ``path/to/file.py:CALLABLE`` loads the file;
* ``torchvision:NAME`` and ``timm:NAME`` build the package's model ``NAME``; a wildcard
  (``timm:resnet*``) expands to every model the package lists under it (:func:`expand_names`).

The callable is called with the ``--set`` keys as keyword arguments; its keyword defaults of
plain types (numbers, strings, booleans, tuples) are the config recorded with each result, as a
catalog entry's are. Its input is ``--input-shape``, unless the callable carries an example input
in an ``example_input`` attribute: a tensor (or tuple of tensors), whose first sample is repeated
for other batch sizes, or an input factory ``(config, batch) -> tensors`` such as
``modbench.catalog.inputs.image(3, 224)``. torchvision and timm models take a 1×3×224×224 image
unless ``--input-shape`` says otherwise.

The result is an :class:`ExternalEntry`, so the planner, the worker (which resolves the name again
in its child process), the run file and ``--resume`` treat it exactly like a catalog entry, under
the full name as given.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from modbench.catalog.registry import Config, Entry, InputFactory, Inputs, Source, coerce_value, import_file
from modbench.errors import UsageError
from modbench.text import first_line

MODEL_PACKAGES = ("torchvision", "timm")
PACKAGE_INPUT_SHAPE = (3, 224, 224)
"""The per-sample input of a torchvision or timm model unless ``--input-shape`` replaces it."""

_PLAIN_TYPES = (bool, int, float, str, tuple, list, type(None))


def is_external(name: str) -> bool:
    """Whether ``name`` names a model outside the catalog (catalog names have no colon)."""
    return ":" in name


@dataclass(frozen=True)
class ExternalEntry(Entry):
    """A callable from outside the catalog, seen as an entry.

    ``keywords``: the keyword parameters the callable names (``None``: it takes any keyword);
    ``example_input`` is ``None`` when the input must come from ``--input-shape``.
    """

    keywords: tuple[str, ...] | None = ()

    def takes(self, key: str) -> bool:
        return self.keywords is None or key in self.keywords

    def config(self, overrides: Config | None = None) -> Config:
        merged = dict(self.default_config)
        for key, value in (overrides or {}).items():
            if value is None:
                continue
            if not self.takes(key):
                valid = ", ".join(self.keywords) or "(none)"
                raise UsageError(f"{self.name} takes no keyword argument {key!r}; its keywords: {valid}")
            default = self.default_config.get(key)
            merged[key] = coerce_value(self.name, key, value, default) if default is not None else literal(value)
        return merged

    def inputs(self, config: Config, batch: int = 1) -> Inputs:
        if self.example_input is None:
            raise UsageError(
                f"{self.name} carries no example input; pass --input-shape (e.g. --input-shape 1x3x224x224) "
                "or give the callable an example_input attribute"
            )
        return super().inputs(config, batch)


def literal(value: Any) -> Any:
    """A ``--set`` value for a keyword without a typed default: a Python literal if it reads as one, else the string."""
    if not isinstance(value, str):
        return value
    try:
        return ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        return value


def resolve_external(name: str) -> ExternalEntry:
    """The entry ``name`` names; an import that is missing or fails is a one-line usage error.

    Not cached by name: ``net.py:build`` means another file in another directory. Imports are
    cached (``sys.modules``, by module name or by the file's resolved path).
    """
    where, _, attribute = name.rpartition(":")
    if not where or not attribute:
        raise UsageError(f"{name!r} is not PACKAGE.MODULE:CALLABLE, path/to/file.py:CALLABLE, torchvision:NAME or timm:NAME")
    if where in MODEL_PACKAGES:
        return _package_entry(name, where, attribute)
    module = _load_file(name, Path(where)) if where.endswith(".py") else _import(name, where)
    factory: Any = module
    for part in attribute.split("."):
        if not hasattr(factory, part):
            found = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
            raise UsageError(f"{where} has no {attribute!r} (for {name}); its callables: {', '.join(found) or '(none)'}")
        factory = getattr(factory, part)
    if not callable(factory):
        raise UsageError(f"{name}: {attribute!r} is a {type(factory).__name__}, not a callable returning an nn.Module")
    return _callable_entry(name, factory)


def _callable_entry(name: str, factory: Callable[..., Any]) -> ExternalEntry:
    try:
        parameters = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    named = [p for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    any_keyword = any(p.kind is p.VAR_KEYWORD for p in parameters)
    defaults = {
        p.name: p.default for p in named
        if p.default is not inspect.Parameter.empty and isinstance(p.default, _PLAIN_TYPES)
    }
    return ExternalEntry(
        name=name,
        family="model",
        factory=_module_checked(name, factory),
        example_input=carried_input(name, getattr(factory, "example_input", None)),
        default_config=defaults,
        source=Source(paper=name),
        doc=inspect.getdoc(factory) or "",
        keywords=None if any_keyword else tuple(p.name for p in named),
    )


def carried_input(name: str, example: Any) -> InputFactory | None:
    """The input factory for a callable's ``example_input`` attribute (tensors or a factory), ``None`` without one."""
    if example is None:
        return None
    if isinstance(example, torch.Tensor) or (isinstance(example, (tuple, list)) and example and all(isinstance(t, torch.Tensor) for t in example)):
        sample = (example,) if isinstance(example, torch.Tensor) else tuple(example)

        def repeated(config: Config, batch: int) -> Inputs:
            if batch == sample[0].shape[0]:
                return sample
            return tuple(t[:1].expand(batch, *t.shape[1:]).clone() for t in sample)

        return repeated
    if callable(example):
        def made(config: Config, batch: int) -> Inputs:
            result = example(config, batch)
            return (result,) if isinstance(result, torch.Tensor) else tuple(result)

        return made
    raise UsageError(
        f"{name}: example_input is a {type(example).__name__}; give a tensor, a tuple of tensors, "
        "or a function (config, batch) -> tensors"
    )


def _module_checked(name: str, factory: Callable[..., Any]) -> Callable[..., nn.Module]:
    """``factory``, refusing a result that is not a module (a ``TypeError`` becomes the build's usage error)."""

    def build(**config: Any) -> nn.Module:
        module = factory(**config)
        if not isinstance(module, nn.Module):
            raise TypeError(f"{name} returned a {type(module).__name__}, not a torch.nn.Module")
        return module

    return build


def _import(name: str, module_name: str) -> ModuleType:
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # `modbench measure mypkg.net:build` finds ./mypkg, as `python -m` would
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise UsageError(
            f"cannot import {module_name!r} for {name}: {first_line(error)}; run from the directory holding it or add it to PYTHONPATH"
        ) from error
    except Exception as error:
        raise UsageError(f"importing {module_name!r} for {name} failed: {type(error).__name__}: {first_line(error)}") from error


def _load_file(name: str, path: Path) -> ModuleType:
    if not path.is_file():
        raise UsageError(f"{name}: no file {str(path)!r}; give the path of a .py file, e.g. models/net.py:build")
    return import_file(path, f"the file of {name}")


def model_package(package: str) -> ModuleType:
    """``torchvision`` or ``timm`` imported, or a one-line usage error naming the package."""
    try:
        return importlib.import_module(package)
    except Exception as error:  # an ImportError, or a build whose native extension does not load
        raise UsageError(
            f"{package} does not import here ({type(error).__name__}: {first_line(error)}); "
            f"install {package} built for torch {torch.__version__.split('+')[0]} to measure {package}: models"
        ) from error


def package_models(package: str) -> list[str]:
    """Every model name the package lists."""
    found = model_package(package)
    if package == "timm":
        return list(found.list_models())
    return list(importlib.import_module("torchvision.models").list_models())


def _package_entry(name: str, package: str, model: str) -> ExternalEntry:
    found = model_package(package)
    if model not in package_models(package):
        hints = [m for m in package_models(package) if model.lower() in m.lower()][:5]
        raise UsageError(f"{package} has no model {model!r}" + (f"; did you mean {', '.join(hints)}?" if hints else ""))
    if package == "timm":
        def build(**config: Any) -> nn.Module:
            return found.create_model(model, **config)
    else:
        models = importlib.import_module("torchvision.models")

        def build(**config: Any) -> nn.Module:
            return models.get_model(model, **config)

    def image(config: Config, batch: int) -> Inputs:
        return (torch.randn(batch, *PACKAGE_INPUT_SHAPE),)

    return ExternalEntry(
        name=name, family="model", factory=build, example_input=image, default_config={},
        source=Source(paper=f"{package} model {model}"), keywords=None,
    )


def expand_names(names: Iterable[str]) -> list[str]:
    """``names`` with each ``torchvision:`` or ``timm:`` wildcard replaced by the models it matches, in order."""
    expanded: list[str] = []
    for name in names:
        package, _, pattern = name.partition(":")
        if package in MODEL_PACKAGES and any(c in pattern for c in "*?["):
            matches = [f"{package}:{m}" for m in sorted(package_models(package)) if fnmatch.fnmatchcase(m, pattern)]
            if not matches:
                raise UsageError(f"no {package} model matches {pattern!r}")
            expanded += matches
        else:
            expanded.append(name)
    return expanded
