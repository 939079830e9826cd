"""X-ray frames of liquid or frozen water droplets (``kind: xray-droplet``): the schema
(:mod:`.schema`) and the simulator and writer (:mod:`.run`)."""


def __getattr__(name):
    # names of the former module diffbench.simulate.droplet (now .run), for one release
    import importlib

    if name.startswith("__") or name in ("run", "schema"):
        raise AttributeError(name)
    run = importlib.import_module("diffbench.simulate.droplet.run")
    try:
        return getattr(run, name)
    except AttributeError:
        raise AttributeError(f"module 'diffbench.simulate.droplet' has no attribute {name!r}") from None
