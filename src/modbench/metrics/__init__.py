"""Metrics: parameters, operation counts, latency, memory. Each returns plain dataclasses."""
