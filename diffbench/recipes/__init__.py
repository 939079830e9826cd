"""Recipes: the catalogue of named, versioned recipes (datasets.yaml, user files, ``--set``
overrides; :mod:`~diffbench.recipes.catalogue`) and the schema pieces every kind's recipe shares
(:mod:`~diffbench.recipes.schema`). Each kind's own schema lives with its simulator
(``diffbench.simulate.<kind>.schema``); :mod:`diffbench.kinds` says which."""
