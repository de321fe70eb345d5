"""ganlib: the small TensorFlow/Keras library behind GAN Book.

Importing ganlib does not import TensorFlow; the modules that need it do.
"""

__version__ = "0.1.0"
