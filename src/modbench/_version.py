"""modbench's version, in a module of its own so that stamping a record does not import the API."""

__version__ = "0.1.0"
