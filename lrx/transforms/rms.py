"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def scale_by_rms(*args, **kwargs):
    raise NotImplementedError('lrx.scale_by_rms is not implemented yet')

