"""Imports every built-in family module so that its ``@register`` decorators run.

One module per family of blocks and models; add a new family here.
"""

from modbench.catalog import (  # noqa: F401  (imported for their registrations)
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
