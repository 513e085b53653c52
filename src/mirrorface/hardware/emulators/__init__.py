"""Protocol emulators: servo buses answered byte for byte on a pseudo-terminal, for tests and for
trying a face before it exists (`mirrorface emulate BUS --face SPEC`)."""
