"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def warmup(*args, **kwargs):
    raise NotImplementedError('lrx.warmup is not implemented yet')


def warmup_cosine(*args, **kwargs):
    raise NotImplementedError('lrx.warmup_cosine is not implemented yet')


def warmup_stable_decay(*args, **kwargs):
    raise NotImplementedError('lrx.warmup_stable_decay is not implemented yet')

