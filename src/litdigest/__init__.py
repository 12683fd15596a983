"""litdigest: grounded, structured summaries of life-science review articles."""

__version__ = "0.1.0"
