"""The studies behind the book's tables: protocols that measure the methods of :mod:`ganlib.apps`.

A study module may import its application module; an application module never imports a study.
Results live in ``benchmarks/README.md`` and the book, not here.

* :mod:`ganlib.studies.anomaly`: AnoGAN, f-AnoGAN and baselines with one MNIST digit held out
  (the split, the test and validation subsets, the AUROC table).
* :mod:`ganlib.studies.augmentation`: few-label classifiers trained with and without generated
  digits (the subsets, conditions, fair generators, cells, the gate, paired differences).
"""
