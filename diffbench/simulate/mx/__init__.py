"""Merged MX data sets with ice-ring artefacts (``kind: mx-merged``, paper 003): the schema
(:mod:`.schema`) and the simulator and MTZ writer (:mod:`.run`)."""

from diffbench._moved import former_module_getattr

# names of the former module diffbench.simulate.mx (now .run), for one release
__getattr__ = former_module_getattr(__name__, "diffbench.simulate.mx.run")
