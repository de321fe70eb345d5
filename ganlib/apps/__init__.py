"""Applications of GANs named by the source (3.2.5), each trained and measured: see issue 5.

* :mod:`ganlib.apps.conditional`: BigGAN-style class-conditional generation.
"""
