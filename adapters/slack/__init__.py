"""Slack adapter: parse payloads, render Block Kit, send, remember how to reach people."""
