"""Speech targets: synthesized frames of the robot's own face speaking (the paper's Wav2Lip step).

`frames` paints them on the simulated face; `warp` draws them on frames of a real robot by warping
its mouth; `wav2lip` optionally runs a user-supplied Wav2Lip checkpoint (never shipped, never the
default).
"""
