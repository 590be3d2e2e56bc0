"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def cyclical(*args, **kwargs):
    raise NotImplementedError('lrx.cyclical is not implemented yet')


def one_cycle(*args, **kwargs):
    raise NotImplementedError('lrx.one_cycle is not implemented yet')

