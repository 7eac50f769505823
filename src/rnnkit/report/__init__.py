"""rnnkit.report."""
