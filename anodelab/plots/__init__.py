"""Figures researchers expect (matplotlib, Agg backend); each function returns the Figure."""
