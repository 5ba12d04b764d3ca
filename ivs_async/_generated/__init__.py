"""Code generated from the vendored service models: one package per service (``ivs``, and the
others as they come). Import it through the public modules."""
