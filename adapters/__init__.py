"""Adapters: one package per surface; they translate, they hold no business rules."""
