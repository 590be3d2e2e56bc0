"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def learning_rate(*args, **kwargs):
    raise NotImplementedError('lrx.learning_rate is not implemented yet')

