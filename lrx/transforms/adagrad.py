"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def scale_by_adagrad(*args, **kwargs):
    raise NotImplementedError('lrx.scale_by_adagrad is not implemented yet')

