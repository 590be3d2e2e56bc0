"""PLACEHOLDER: being implemented (replace this whole file)."""

_PLACEHOLDER = True

def curves(*args, **kwargs):
    raise NotImplementedError('lrx.curves is not implemented yet')


def schedules(*args, **kwargs):
    raise NotImplementedError('lrx.schedules is not implemented yet')


def trajectory(*args, **kwargs):
    raise NotImplementedError('lrx.trajectory is not implemented yet')

