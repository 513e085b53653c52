"""Facial coexpression: anticipate a person's expression and make it with them (the 2024 paper)."""
