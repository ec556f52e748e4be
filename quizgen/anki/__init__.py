"""Anki decks: self-grading problem notes and flashcards, with stable identities."""
