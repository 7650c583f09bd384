"""The version of anodelab: stamped on every import, analysis result and campaign proposal."""

__version__ = "0.1.0"
