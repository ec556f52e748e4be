"""The terminal drill: one question at a time, graded, explained and scheduled with FSRS."""
