"""Microsoft Teams adapter on the Microsoft 365 Agents SDK: cards, inbound activities, sending.

Translation only: Teams activities → ``Inbound``; ``Message`` → Adaptive Cards; replies and
outbox messages sent proactively with the stored conversation reference.
"""

PLATFORM = "teams"
