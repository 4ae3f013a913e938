"""Analytics: epidemic curves, Rt, growth, forecasts, demographics and the command dashboard."""
