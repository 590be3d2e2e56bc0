"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def scale_by_momentum(*args, **kwargs):
    raise NotImplementedError('lrx.scale_by_momentum is not implemented yet')

