"""Silence TensorFlow's start-up noise (for the CLI and the first cell of every chapter).

``TF_CPP_MIN_LOG_LEVEL`` hides TensorFlow's own C++ logging, but TensorFlow 2.21 still writes
a few lines through absl to file descriptor 2 while it loads ("oneDNN custom operations are
on", "Could not find cuda drivers").  :func:`import_tensorflow_quietly` points descriptor 2
at /dev/null while TensorFlow is imported, then restores it; Python errors still propagate.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings


@contextlib.contextmanager
def native_stderr_silenced():
    """Send writes to file descriptor 2 (C/C++ stderr) to /dev/null inside the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly():
    """Import TensorFlow (and Keras) with logging off; return the ``tensorflow`` module."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore", module="keras")
    with native_stderr_silenced():
        import tensorflow as tf
        import keras  # noqa: F401

        tf.constant(0.0) + 1.0  # the CUDA probe runs at the first op
    tf.get_logger().setLevel("ERROR")
    return tf
