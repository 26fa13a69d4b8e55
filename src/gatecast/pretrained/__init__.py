"""A recurrent forecaster pretrained on a synthetic corpus (see docs/pretrained.md):
``corpus`` (the generators), ``network`` (the LSTM), ``train`` (pretraining), ``store``
(weights on disk), ``inference`` and ``forecaster`` (:class:`Pretrained`)."""
