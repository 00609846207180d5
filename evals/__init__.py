"""Eval suites: gold labels, a scorer, a runner and reports."""
