"""Make it happen on time: clocks and precise waits, the scheduler of time-stamped commands,
the watchdog, and audio playback whose clock the lips follow (see DESIGN.md "Layers")."""
