"""Merged MX data sets with ice-ring artefacts (``kind: mx-merged``, paper 003): the schema
(:mod:`.schema`) and the simulator and MTZ writer (:mod:`.run`)."""


def __getattr__(name):
    # names of the former module diffbench.simulate.mx (now .run), for one release
    import importlib

    if name.startswith("__") or name in ("run", "schema"):
        raise AttributeError(name)
    run = importlib.import_module("diffbench.simulate.mx.run")
    try:
        return getattr(run, name)
    except AttributeError:
        raise AttributeError(f"module 'diffbench.simulate.mx' has no attribute {name!r}") from None
