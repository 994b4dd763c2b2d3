"""GridGov (网格治理平台): grid-based community governance."""

__version__ = "0.1.0"
