"""anodelab: a materials-design knowledge base and optimizer for Si/C Li-ion battery anodes."""

__version__ = "0.1.0"
