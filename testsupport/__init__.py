"""Tools that tests and benchmarks share: the Slack Web API double, the Teams connector
double, seeders and the helpers of clock-process runs.

A top-level package of its own, beside ``tests/`` and ``bench/``: both import it, so neither
imports the other's modules (a benchmark importing a test module would run its fixtures'
imports and tie benchmarks to the test layout). It is not part of the wheel: pyproject's
package list names only ``bot``, ``adapters``, ``conversations`` and ``storage``.
"""
