"""Metrics, one module per family (classification, sequence labelling, forecasting, text)."""
