"""The platform-neutral conversation engine."""
