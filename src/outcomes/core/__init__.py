"""The foundation every layer may use: errors, the result protocol, disclosure, formatting and the palette.

Nothing here imports another part of ``outcomes``; matplotlib is loaded only
when a plot is drawn.
"""
