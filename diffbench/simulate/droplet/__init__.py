"""X-ray frames of liquid or frozen water droplets (``kind: xray-droplet``): the schema
(:mod:`.schema`) and the simulator and writer (:mod:`.run`)."""

from diffbench._moved import former_module_getattr

# names of the former module diffbench.simulate.droplet (now .run), for one release
__getattr__ = former_module_getattr(__name__, "diffbench.simulate.droplet.run")
