"""Exceptions raised by ganlib.

Every message names the problem and the fix.  The command line catches
:class:`GanlibError` and prints its message on one line, without a traceback.
"""


class GanlibError(Exception):
    """Base class of the errors ganlib raises on purpose."""


class DataError(GanlibError, ValueError):
    """Input data is missing, malformed, or of the wrong shape or dtype."""


class IntegrityError(DataError):
    """A file's sha256 does not match the one recorded for it: it is corrupt or was replaced."""


class DownloadRefused(GanlibError, RuntimeError):
    """A download was needed but the caller did not allow it (offline by default)."""


class CheckpointError(GanlibError, RuntimeError):
    """A checkpoint is missing, unreadable or does not fit the model."""


class TrainingDiverged(GanlibError, RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint was kept."""
