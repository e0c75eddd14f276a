"""graph360: a graph-based customer relationship explorer."""

__version__ = "0.1.0"
