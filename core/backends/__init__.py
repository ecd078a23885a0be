"""Backends shipped with skypane."""
