"""The `taskonomy` command: Taskonomy's four steps end to end."""

__version__ = "0.1.0"
