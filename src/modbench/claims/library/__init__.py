"""Every claim module; importing this package registers their claims (see :mod:`modbench.claims.registry`)."""

from modbench.claims.library import (  # noqa: F401  (imported to register)
    cbam,
    conv_fc,
    coordconv,
    dropblock,
    ghost,
    gmlp,
    inception,
    nin,
    papers,
    s2mlp,
    sparse,
    swish,
)
