"""Consistency regularization for GANs (Zhang et al. 2020) as a pygan loss term.

Installed, it is the term ``consistency`` (entry-point group ``pygan.terms``): name it in a
config's ``[[terms]]`` table or build it with ``TERMS.create("consistency", weight=10.0)``.
"""

from pygan_consistency.augment import translate_and_flip
from pygan_consistency.term import ConsistencyTerm

__all__ = ["ConsistencyTerm", "translate_and_flip"]
