"""
A model mixin: a whole row read from the database becomes an instance
without Model.__init__().

Model.__init__() sets each field through setattr(), and a foreign key's id
through its descriptor, a call each; it runs for every row the ORM reads (a
page of 20 todos: 400 calls), and three times for every request's session
(its user and sync state come with it: 180 calls). For a whole row, and
while nothing listens to pre_init/post_init (this project connects
nothing), putting the values in the instance's __dict__ makes the same
instance (api/tests/test_rows.py holds the two to each other).
"""

import functools

from django.db.models import signals
from django.db.models.base import ModelState


class ReadWithoutInit:
    @classmethod
    def from_db(cls, db, field_names, values):
        names = attnames(cls)
        if len(values) != len(names) or has_init_listeners(cls):
            return super().from_db(db, field_names, values)
        instance = cls.__new__(cls)
        instance.__dict__.update(zip(names, values, strict=True))
        instance._state = ModelState()
        instance._state.adding = False
        instance._state.db = db
        return instance


@functools.cache
def attnames(model):
    return tuple(field.attname for field in model._meta.concrete_fields)


def has_init_listeners(model):
    # Per row read: no receiver at all is two attribute reads, where
    # has_listeners() is two calls.
    if not (signals.pre_init.receivers or signals.post_init.receivers):
        return False
    return signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(
        model
    )
