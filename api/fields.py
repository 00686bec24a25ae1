"""
Serializer fields that take JSON types as they are.

DRF's fields coerce: CharField turns 12 into "12", BooleanField takes "yes"
and 1, IntegerField takes "7". A JSON API with a schema refuses a value of the
wrong type instead, with a message naming the field.
"""

import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.per_class import once_per_class


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    """An ISO 8601 date string (`2026-11-24`), and nothing else."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class BoundedListField(serializers.ListField):
    """
    A list whose length is checked before its items: DRF's ListField
    validates every item first, so a body of 40,000 entries would cost
    40,000 validations before `max_length` refused it.
    """

    def to_internal_value(self, data):
        if (
            self.max_length is not None
            and isinstance(data, list)
            and len(data) > self.max_length
        ):
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


def literal(*values, **kwargs):
    """
    A field that takes (and documents) only `values`: the tag of one variant
    of a union, documented inline as a one-value enum so that unions tagged
    by the same key name need no shared enum component.
    """
    schema = {"type": "integer" if isinstance(values[0], int) else "string"}

    @extend_schema_field({**schema, "enum": list(values)})
    class Literal(serializers.ChoiceField):
        def to_internal_value(self, data):
            if type(data) is not type(values[0]):
                self.fail("invalid_choice", input=data)
            return super().to_internal_value(data)

    return Literal(choices=values, **kwargs)


def iso_datetime(value):
    """As DRF's DateTimeField renders with USE_TZ and TIME_ZONE = "UTC"."""
    if value is None:
        return None
    text = value.astimezone(datetime.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# A serializer mixin: its fields are built once per class, and each
# instance binds shallow copies of them. DRF builds every field anew for
# each serializer instance (a deep copy of the declared ones, which runs
# each field's __init__ again, and ModelSerializer's from the model): for a
# todo's create that was 19% of the request's Python time (py-spy with
# --gil; README, Performance). A field holds nothing per request before
# bind() gives it its name and parent, and what its __init__ made (choices,
# validators, messages) is only read, so a copy of an unbound field is as
# good as a new one. Only
# for serializers whose fields do not depend on the instance or context
# (none of their fields has a child serializer or field to rebind).
# (A comment, not a docstring: the schema would take it as the description
# of every serializer that mixes it in.)
class FieldsBuiltOnce:
    def get_fields(self):
        built = once_per_class(self, "_fields_built_once", super().get_fields)
        return {name: _shallow_copy(field) for name, field in built.items()}


# A serializer mixin: a partial update (PATCH) validates the fields its JSON
# body names, not every writable field. DRF asks each writable field for
# its value and lets an absent one raise SkipField (~12 Python calls a
# field, ~300 of a todo's PATCH: `python -m bench.calls --only patch`); in
# a partial update an absent field is always skipped (DRF applies no
# default there), so leaving it out is the same. Form input (a QueryDict,
# where an absent checkbox means false) goes DRF's way.
# todos/tests/test_serializers.py holds the two to each other.
class GivenFieldsOnly:
    _given = None

    def to_internal_value(self, data):
        if not (self.partial and type(data) is dict):
            return super().to_internal_value(data)
        self._given = data.keys()
        try:
            return super().to_internal_value(data)
        finally:
            self._given = None

    @property
    def _writable_fields(self):
        given = self._given
        for field in self.fields.values():
            if not field.read_only and (given is None or field.field_name in given):
                yield field


def _shallow_copy(field):
    # What copy.copy() makes of a field (a new instance holding the same
    # attributes), without its reduce-and-reconstruct protocol: 14 Python
    # calls a field, ~350 of a todo's PATCH (`python -m bench.calls --only
    # patch`), against 2. api/tests/test_fields_built_once.py holds the
    # copies to copy.copy()'s.
    copied = object.__new__(type(field))
    copied.__dict__ = field.__dict__.copy()
    return copied
