"""Seeing faces: MediaPipe face-mesh landmarks from camera frames, simulated or real."""
