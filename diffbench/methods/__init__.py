"""The method zoo: published methods for sorting diffraction data, as scikit-learn estimators.

Every method inherits :class:`diffbench.methods.base.Method` and declares its roles as tags
(:class:`~diffbench.methods.base.MethodTags`); :mod:`~diffbench.methods.registry` finds them by
name. One module per method family (``ipca_envelope``, ``size_fit``, ``em2d``, ``ed_ria``,
``pcc_clustering``, ``ice_baselines``); shared feature code in ``features``, ``frames`` (what
methods read) and ``streaming_pca``; numba kernels in ``binning_kernels``.
"""
