"""The errors mirrorface raises on purpose.

Every error a user can cause (a bad file, a bad flag, a missing checkpoint) is a
`MirrorfaceError`. The CLI prints its message as one line and exits non-zero; anything
else is a bug and keeps its traceback.
"""


class MirrorfaceError(Exception):
    """A problem the user can fix; its message is the one line the CLI prints."""


class SpecError(MirrorfaceError):
    """A face spec is missing, malformed or inconsistent."""


class SafetyError(MirrorfaceError):
    """A command was refused by the safety layer (e.g. it contained NaN)."""


class DatasetError(MirrorfaceError):
    """A dataset is missing, corrupt or incompatible with the request."""


class DeviceError(MirrorfaceError):
    """A face backend is unavailable, disconnected or failed mid-run."""
