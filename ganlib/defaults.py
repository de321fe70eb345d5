"""The default recipe of ``ganlib`` (what ``ganlib train`` does without options), in one place.

A plain module without TensorFlow imports, so the command line can show these in ``--help``
without loading TensorFlow.  Measurements behind the choices: ``benchmarks/README.md``.
"""

LATENT_DIM = 100
# 32 rather than the DCGAN paper's 64: a width-32 generator samples 10,000 digits in under two
# seconds on a 2-core CPU and trains about 3x faster per epoch.
DEFAULT_WIDTH = 32
# Sample from an exponential moving average of the generator's weights (0 or None: off).
DEFAULT_EMA_DECAY = 0.999
DEFAULT_BATCH_SIZE = 64
