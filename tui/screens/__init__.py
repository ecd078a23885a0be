"""Screens: the main two-pane view and the full-screen helpers it opens."""
