"""Version of kapre_like (its own; the Kapre API it mirrors is 0.4.1)."""

__version__ = "0.1.0"

#: The Kapre release whose public API kapre_like reproduces.
KAPRE_API_VERSION = "0.4.1"
