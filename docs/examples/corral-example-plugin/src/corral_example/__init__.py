"""An example corral extension: the ``dummy`` driver and its XML kind, the ``tracer`` plugin."""

__all__: list[str] = []
