"""The sensing pages."""
