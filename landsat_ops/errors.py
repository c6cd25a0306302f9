"""Errors raised by landsat_ops.

Every error a user can cause (bad scene folder, unreadable band, bad option value,
unwritable destination) is a :class:`LandsatOpsError`. The CLI prints its message on one
line and exits with code 2; anything else is a bug and keeps its traceback. It is the project's
one error root: the orchestration's ``landsat_pipeline.errors.PipelineError`` subclasses it.
"""


class LandsatOpsError(Exception):
    """Base class for errors caused by the input or the environment, not by a bug."""


class SceneError(LandsatOpsError):
    """A scene ID, folder, band file or metadata file is missing or malformed."""


class MetadataError(SceneError):
    """An MTL file cannot be parsed or lacks a required field."""


class RasterError(LandsatOpsError):
    """A raster cannot be read, is truncated, or does not match the other bands' grid."""


class NoValidPixelsError(RasterError):
    """The scene (or the requested bands) hold no valid, non-fill pixels."""


class StorageError(LandsatOpsError):
    """A local path or s3:// URI cannot be read or written."""


class OptionError(LandsatOpsError):
    """An option value is out of range or malformed (also raised for library callers)."""


class CommandError(LandsatOpsError):
    """The command given to ``sync-run`` cannot be found or started."""


class ConflictError(StorageError):
    """Another writer changed the destination meanwhile (a conditional write was refused)."""


class Interrupted(LandsatOpsError):
    """The process received SIGTERM or SIGINT; raised in the main thread so cleanup runs.

    ``signum`` is the signal's number: the CLI exits with ``128 + signum``. ``what`` says what
    became of the run's products (by default: nothing was published).
    """

    def __init__(self, signum: int, what: str = "nothing published"):
        import signal

        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}; {what}")
