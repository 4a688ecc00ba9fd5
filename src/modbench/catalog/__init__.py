"""The catalog: every block and model modbench knows, registered once by name.

The registry (:mod:`modbench.catalog.registry`) is a leaf that the families import; this package
imports the registry first and then every family module, so their ``@register`` decorators have run
by the time anyone can ask for an entry. One module per family; add a new family to the import below.
"""

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

from modbench.catalog import (  # noqa: E402,F401,I001  (imported for their registrations, after the registry)
    activations,
    attention,
    conv,
    ghost,
    gmlp,
    inception,
    lenet,
    mobilenet,
    nin,
    recurrent,
    resnet,
    resnet_cifar,
    s2mlp,
    signal_cnn,
    vgg_cifar,
)

__all__ = ["Entry", "Source", "all_tags", "create", "get_entry", "list_entries", "load_plugin", "register"]
