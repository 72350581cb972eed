"""The version, in the bottom layer: every layer may stamp it on what it writes (a seed reproduces a
simulation only with the version that ran it) without importing the front door."""

__version__ = "0.4.0"
