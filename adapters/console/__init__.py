"""The console adapter: Mentorbot in a terminal, interactively or from a transcript script."""
