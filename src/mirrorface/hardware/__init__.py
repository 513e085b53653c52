"""Face backends: the simulated face and real servo faces, behind one `Face` interface."""
