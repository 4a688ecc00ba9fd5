"""The asv suite: modbench's catalog measured at every commit (see docs/asv.md)."""
