"""Numerical solvers: pure functions on plain NumPy arrays and scalars."""
