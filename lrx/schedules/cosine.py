"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def cosine_annealing(*args, **kwargs):
    raise NotImplementedError('lrx.cosine_annealing is not implemented yet')


def cosine_warm_restarts(*args, **kwargs):
    raise NotImplementedError('lrx.cosine_warm_restarts is not implemented yet')

