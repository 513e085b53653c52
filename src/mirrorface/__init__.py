"""mirrorface: lip sync and anticipatory expressions for robot faces, learned by self-observation."""

__version__ = "0.1.0"
