"""Diagnostics that tell the truth about a forecast: persistence (right-shift), skill against
the naive forecasts, residual whiteness, stationarity and differencing advice, and gradient flow
through time."""
