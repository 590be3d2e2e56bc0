"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def scale_by_adam(*args, **kwargs):
    raise NotImplementedError('lrx.scale_by_adam is not implemented yet')

