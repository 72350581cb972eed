"""sahelsim: from the documented record of drone warfare in the Sahel to defensive decisions."""

__version__ = "0.3.0"
