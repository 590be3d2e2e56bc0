"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def layerwise_decay(*args, **kwargs):
    raise NotImplementedError('lrx.layerwise_decay is not implemented yet')


def partition(*args, **kwargs):
    raise NotImplementedError('lrx.partition is not implemented yet')

