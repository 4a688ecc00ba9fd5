"""modbench: what does this PyTorch block really cost, and is the claimed saving real?"""

__version__ = "0.1.0"
