"""The application: settings, CLI, processes, wiring of engine, storage and adapters."""
