"""Matplotlib figures for analysis results (Agg backend; functions return the Figure)."""

from anodelab.plots.cycling import plot_capacity_ce, plot_dqdv, plot_voltage_profiles

__all__ = ["plot_capacity_ce", "plot_voltage_profiles", "plot_dqdv"]
