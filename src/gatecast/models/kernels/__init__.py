"""Numpy-only numerical kernels shared by the models (no pandas, no torch)."""
