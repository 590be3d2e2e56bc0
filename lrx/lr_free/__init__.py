"""Learning rates you don't choose: methods that estimate their own step size.

Prodigy, D-Adaptation (Adam, SGD, AdaGrad), DoG / L-DoG, Mechanic, Schedule-Free, COCOB and
MoMo, each equal step for step to its authors' PyTorch package. The estimate (``d``, ``eta``,
``s``, ...) is a state field; :func:`lrx.learning_rate` reads the effective rate.
"""
