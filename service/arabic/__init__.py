"""The Arabic language layer: how Arabic diplomatic news writes, as lexicons and rules.

``analysis.analyze(text)`` reads an article into mentions, quotes, events and positions with
exact offsets; ``drafting.to_draft`` turns that into the draft every provider fills. Pure
logic, no I/O beyond loading the TOML lexicons in ``data/`` once.
"""
