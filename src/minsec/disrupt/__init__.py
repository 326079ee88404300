"""Disruptions: scenarios, propagation on the trade network, allied allocation, Monte Carlo."""
