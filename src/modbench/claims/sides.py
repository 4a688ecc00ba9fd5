"""A claim's side as the planner measures it: its subject, its spec, and the key its records carry.

A :class:`~modbench.claims.schema.Side` names a catalog entry (or a claim's extra module) with
config overrides, a batch size and a mode. :func:`side_spec` turns it into the
:class:`~modbench.spec.Spec` the claims' plan measures (:func:`modbench.claims.check.build_specs`),
so its records are stored under ``Spec.key``; :func:`side_record_key` is that same key with the
device and thread count left out (the run chooses them, and a verdict is judged per device), and
is what :class:`~modbench.claims.lookup.Results` finds a side's records by. Both go through
``Spec``, where the key is derived: the claims keep no key of their own.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

from modbench.claims.schema import Side
from modbench.metrics.target import Target
from modbench.records import RecordKey
from modbench.spec import EntrySpec, Settings, Spec, Subject


def side_subject(side: Side) -> Subject:
    """What a side measures: its catalog entry at the side's overrides, or its extra module at the side's own config.

    Nothing is built here; :func:`modbench.claims.check.build_specs` checks that a side builds.
    """
    if side.extra is None:
        return EntrySpec.of(side.entry, side.overrides)
    extra, config = side.extra, dict(side.config)
    return Target(name=side.entry, config=config, build=lambda: extra.build(config), make_inputs=lambda batch: extra.inputs(config, batch))


@functools.cache
def side_config(side: Side) -> dict[str, Any]:
    """A side's full config (the entry's defaults with the side's overrides, or an extra's own config): its subject's."""
    return side_subject(side).config


def side_spec(side: Side, settings: Settings) -> Spec:
    """The spec that measures ``side`` under ``settings``, at the side's batch size and in the side's mode."""
    return Spec(side_subject(side), side.batch, replace(settings, mode=side.mode))


@functools.cache
def side_record_key(side: Side) -> RecordKey:
    """The key of the side's records on any device and thread count (:meth:`RecordKey.unplaced`).

    The spec is made with the settings the claims measure at (fp32, no execution knobs), so this
    is the key :func:`side_spec` gives on every device, unplaced.
    """
    return side_spec(side, Settings(threads=1)).key.unplaced()
