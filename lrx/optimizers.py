"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def adagrad(*args, **kwargs):
    raise NotImplementedError('lrx.adagrad is not implemented yet')


def adam(*args, **kwargs):
    raise NotImplementedError('lrx.adam is not implemented yet')


def adamw(*args, **kwargs):
    raise NotImplementedError('lrx.adamw is not implemented yet')


def rmsprop(*args, **kwargs):
    raise NotImplementedError('lrx.rmsprop is not implemented yet')


def sgd(*args, **kwargs):
    raise NotImplementedError('lrx.sgd is not implemented yet')

