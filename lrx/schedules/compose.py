"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def from_fn(*args, **kwargs):
    raise NotImplementedError('lrx.from_fn is not implemented yet')


def per_epoch(*args, **kwargs):
    raise NotImplementedError('lrx.per_epoch is not implemented yet')


def sequence(*args, **kwargs):
    raise NotImplementedError('lrx.sequence is not implemented yet')

