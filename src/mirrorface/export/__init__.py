"""Exporters: mouth cues for tools outside mirrorface."""
