"""The default recipe of ``ganlib`` (what ``ganlib train`` does without options), by name.

Each default is declared once, as a field of :class:`ganlib.config.GANConfig` (no TensorFlow
there either, so the command line can show them in ``--help`` without loading TensorFlow);
these names read them.  Measurements behind the choices: ``benchmarks/README.md``.
"""

from ganlib.config import GANConfig

LATENT_DIM = GANConfig.latent_dim
DEFAULT_WIDTH = GANConfig.width
DEFAULT_EMA_DECAY = GANConfig.ema_decay
DEFAULT_BATCH_SIZE = GANConfig.batch_size
