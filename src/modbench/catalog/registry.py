"""The catalog registry: every block and model is registered once, by name.

Modelled on timm's registry: a decorator that returns the factory unchanged, module-level typed
dicts, ``list_entries`` with include/exclude wildcards and tags, ``create`` by name with config
overrides. The default config of an entry is read from its factory's keyword defaults, so the
signature is the single source of truth for what a user may ``--set``.

The registry is a leaf: it imports no family module. The package (``modbench.catalog``) imports
the families, so importing anything from the catalog registers the built-in entries first.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import importlib.util
import inspect
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from modbench.errors import UsageError, closest
from modbench.text import first_line, format_config

Config = dict[str, Any]
Inputs = tuple[torch.Tensor, ...]
InputFactory = Callable[[Config, int], Inputs]

FAMILIES = ("block", "model")


@dataclass(frozen=True)
class Source:
    """Where an entry comes from: the seed article and/or the paper (with table if one is cited)."""

    seed: str | None = None
    paper: str | None = None

    def __str__(self) -> str:
        return "; ".join(part for part in (self.seed, self.paper) if part) or "modbench"


@dataclass(frozen=True)
class Entry:
    """One catalog entry: how to build it, feed it, and where it comes from."""

    name: str
    family: str
    factory: Callable[..., nn.Module]
    example_input: InputFactory
    default_config: Config
    source: Source
    tags: tuple[str, ...] = ()
    doc: str = ""

    @property
    def summary(self) -> str:
        """First line of the docstring: what the entry is."""
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""

    def takes(self, key: str) -> bool:
        """Whether ``key`` may be set (``--set key=...``)."""
        return key in self.default_config

    def config(self, overrides: Config | None = None) -> Config:
        """The default config with ``overrides`` applied and checked (unknown keys, wrong types)."""
        merged = dict(self.default_config)
        for key, value in (overrides or {}).items():
            if value is None:
                continue
            if key not in self.default_config:
                valid = ", ".join(sorted(self.default_config)) or "(none)"
                raise UsageError(f"{self.name} has no config key {key!r}; valid keys: {valid}")
            merged[key] = coerce_value(self.name, key, value, self.default_config[key])
        return merged

    def build(self, overrides: Config | None = None) -> tuple[nn.Module, Config]:
        """Instantiate the module; a constructor error becomes a one-line usage error."""
        config = self.config(overrides)
        try:
            module = self.factory(**config)
        except (ValueError, TypeError, RuntimeError, AssertionError) as error:
            raise UsageError(
                f"{self.name} cannot be built with {format_config(config)}: {first_line(error)}"
            ) from error
        return module, config

    def inputs(self, config: Config, batch: int = 1) -> Inputs:
        """Example inputs for ``batch`` samples at this config (seeded, so runs are comparable)."""
        if batch < 1:
            raise UsageError(f"batch must be a positive integer, got {batch}")
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(0)
        try:
            return tuple(self.example_input(config, batch))
        except (RuntimeError, ValueError, KeyError) as error:
            raise UsageError(
                f"{self.name} cannot make an example input at {format_config(config)}: "
                f"{first_line(error)}; sizes must be positive"
            ) from error
        finally:
            torch.random.set_rng_state(generator_state)


_entries: dict[str, Entry] = {}


def register(
    *,
    family: str,
    example_input: InputFactory,
    source: Source,
    tags: Sequence[str] = (),
    name: str | None = None,
) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator registering a factory; returns it unchanged.

    * ``family``: ``"block"`` (a layer inside a network: in a training step its input's gradient
      is computed too) or ``"model"`` (its inputs are data);
    * ``example_input``: ``(config, batch) -> tuple of tensors``, usually one of
      :mod:`modbench.catalog.inputs` (``inputs.image(3, 224)``, ``inputs.sequence()``, ...), whose
      sizes are config keys or fixed numbers;
    * ``source``: where the block comes from (``Source(seed=..., paper=...)``);
    * ``tags``: for ``modbench list --tag``; ``name``: the entry's name (default: the factory's).

    Every parameter of the factory must have a default: together they are the entry's default
    config. A second entry with the same name is refused, and so is an example input that reads
    a config key the factory lacks (its ``config_keys``, as :mod:`modbench.catalog.inputs` marks).
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")

    def decorate(factory: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        entry_name = name or factory.__name__
        if ":" in entry_name:
            raise ValueError(f"catalog entry {entry_name!r}: a name with ':' names a model outside the catalog; choose another")
        if entry_name in _entries:
            raise ValueError(
                f"catalog entry {entry_name!r} is already registered "
                f"(by {_entries[entry_name].factory.__module__}); choose another name"
            )
        defaults = _signature_defaults(entry_name, factory)
        for key in getattr(example_input, "config_keys", ()):
            if key not in defaults:
                raise ValueError(_missing_key(entry_name, key))
        _entries[entry_name] = Entry(
            name=entry_name,
            family=family,
            factory=factory,
            example_input=example_input,
            default_config=defaults,
            source=source,
            tags=tuple(tags),
            doc=inspect.getdoc(factory) or "",
        )
        return factory

    return decorate


def _missing_key(name: str, key: str) -> str:
    return (
        f"catalog entry {name!r}: its example input reads config key {key!r}, which the factory has no parameter for; "
        f"add a parameter {key}=... to the factory or give the size as a number (e.g. inputs.image(3, 224))"
    )


def _signature_defaults(name: str, factory: Callable[..., nn.Module]) -> Config:
    defaults: Config = {}
    for parameter in inspect.signature(factory).parameters.values():
        if parameter.default is inspect.Parameter.empty:
            raise ValueError(f"catalog entry {name!r}: parameter {parameter.name!r} needs a default")
        defaults[parameter.name] = parameter.default
    return defaults


def get_entry(name: str) -> Entry:
    """The entry called ``name``; an unknown name names the closest ones.

    A name with a colon (``package.module:callable``, ``file.py:callable``, ``timm:NAME``) is
    resolved outside the catalog (:mod:`modbench.catalog.external`).
    """
    if name in _entries:
        return _entries[name]
    if ":" in name:
        from modbench.catalog.external import resolve_external  # it builds on this module

        return resolve_external(name)
    hints = closest(name, _entries)
    hint = f"; did you mean {', '.join(hints)}?" if hints else "; run `modbench list` to see them"
    raise UsageError(f"unknown catalog entry {name!r}{hint}")


def create(name: str, **overrides: Any) -> nn.Module:
    """Build a catalog entry by name; ``None`` overrides are dropped so defaults win.

    >>> module = create("ghost", in_channels=64, out_channels=128)
    """
    module, _ = get_entry(name).build(overrides)
    return module


def list_entries(
    include: str | Iterable[str] = "*",
    exclude: str | Iterable[str] = (),
    family: str | None = None,
    tags: str | Iterable[str] = (),
) -> list[str]:
    """Entry names matching include/exclude wildcards, a family and all given tags, naturally sorted."""
    includes = [include] if isinstance(include, str) else list(include)
    excludes = [exclude] if isinstance(exclude, str) else list(exclude)
    wanted_tags = {tags} if isinstance(tags, str) else set(tags)
    if family is not None and family not in FAMILIES:
        raise UsageError(f"unknown family {family!r}; choose one of: {', '.join(FAMILIES)}")
    names = [
        name
        for name, entry in _entries.items()
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in includes)
        and not any(fnmatch.fnmatchcase(name, pattern) for pattern in excludes)
        and (family is None or entry.family == family)
        and wanted_tags <= set(entry.tags)
    ]
    return sorted(names, key=_natural_key)


def all_tags() -> list[str]:
    """Every tag used by some entry (for error hints and the listing)."""
    return sorted({tag for entry in _entries.values() for tag in entry.tags})


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def load_plugin(path: str | Path) -> list[str]:
    """Import a user's Python file so its ``@register`` entries join the catalog; returns their names."""
    plugin = Path(path)
    if not plugin.is_file():
        raise UsageError(f"plugin file {str(plugin)!r} does not exist; pass the path of a .py file")
    before = set(_entries)
    import_file(plugin, "plugin", reuse=False)  # loaded again, it registers into whichever registry is current
    added = sorted(set(_entries) - before)
    for name in added:
        _check_example_input(_entries[name], plugin)
    return added


def import_file(path: Path, what: str, reuse: bool = True) -> ModuleType:
    """Import the Python file ``path`` (with ``reuse``: once per resolved path); what it prints goes to stderr.

    ``what`` names the file in the one-line usage error an import that fails becomes.
    """
    resolved = path.resolve()
    module_name = f"modbench_{what.replace(' ', '_')}_{resolved.stem}_{hashlib.sha1(str(resolved).encode()).hexdigest()[:10]}"
    if reuse and module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise UsageError(f"{what} {str(path)!r} is not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        with contextlib.redirect_stdout(sys.stderr):  # what a user's file prints must not mix into --format json
            spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[module_name]
        raise UsageError(f"{what} {str(path)!r} failed to import: {type(error).__name__}: {first_line(error)}") from error
    except SystemExit as error:  # the file is imported, not run: its exit must not end modbench silently
        del sys.modules[module_name]
        raise UsageError(
            f"{what} {str(path)!r} called sys.exit({error.code!r}) while being imported; it should only define models or register entries"
        ) from error
    return module


def _check_example_input(entry: Entry, plugin: Path) -> None:
    """Make the example input of a plugin's entry once, at its defaults, so a key it lacks is refused now, not when measured."""
    try:
        entry.example_input(entry.default_config, 1)
    except KeyError as error:
        key = error.args[0] if error.args else "?"
        raise UsageError(f"plugin {str(plugin)!r}: {_missing_key(entry.name, key)}") from error


def coerce_value(entry: str, key: str, value: Any, default: Any) -> Any:
    """Convert a ``--set`` value (often a string) to the type of the default, or explain why not."""
    expected = type(default)
    if default is None or (not isinstance(value, str) and isinstance(value, expected)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if expected is bool:
                lowered = text.lower()
                if lowered in ("1", "true", "yes", "on"):
                    return True
                if lowered in ("0", "false", "no", "off"):
                    return False
                raise ValueError(text)
            if expected in (int, float, str):
                return expected(text)
            if expected in (tuple, list):
                parsed = json.loads(text.replace("(", "[").replace(")", "]"))
                if not isinstance(parsed, list):  # "7" is a number, not a list of one
                    raise ValueError(text)
                return expected(parsed)
        except (ValueError, json.JSONDecodeError):
            pass
    elif expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise UsageError(
        f"{entry}: {key}={value!r} is not a valid {expected.__name__} "
        f"(default {default!r}); pass e.g. --set {key}={default!r}"
    )
