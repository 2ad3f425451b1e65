"""An example corral extension: the ``dummy`` driver and the ``tracer`` plugin."""

__all__: list[str] = []
