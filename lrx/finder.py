"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def LRFinderResult(*args, **kwargs):
    raise NotImplementedError('lrx.LRFinderResult is not implemented yet')


def find_lr(*args, **kwargs):
    raise NotImplementedError('lrx.find_lr is not implemented yet')

