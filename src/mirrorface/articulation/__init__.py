"""Phonemes -> coarticulated, anticipatory articulatory trajectories on the audio clock."""
