"""The catalog: every block and model modbench knows, registered once by name."""

from modbench.catalog.registry import (
    Entry,
    Source,
    all_tags,
    create,
    get_entry,
    list_entries,
    load_plugin,
    register,
)

__all__ = ["Entry", "Source", "all_tags", "create", "get_entry", "list_entries", "load_plugin", "register"]
