"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def observe(*args, **kwargs):
    raise NotImplementedError('lrx.observe is not implemented yet')


def reduce_on_plateau(*args, **kwargs):
    raise NotImplementedError('lrx.reduce_on_plateau is not implemented yet')

