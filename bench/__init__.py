"""Benchmarks and their shared tools (seeding many pairs, a local Slack Web API double)."""
