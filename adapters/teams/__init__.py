"""Microsoft Teams adapter on the Microsoft 365 Agents SDK: cards, inbound activities, sending.

Translation only: Teams activities → ``Inbound``; ``Message`` → Adaptive Cards; replies and
outbox messages sent proactively with the stored conversation reference; the team channels the
app is added to, for HR's announcements.
"""

PLATFORM = "teams"
