"""Web layer: the only package that imports Flask."""
