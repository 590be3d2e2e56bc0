"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def skip_nonfinite(*args, **kwargs):
    raise NotImplementedError('lrx.skip_nonfinite is not implemented yet')

