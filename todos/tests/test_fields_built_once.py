"""A todo serializer's fields, built once per class, are the ones DRF builds."""

import copy

from rest_framework import serializers

from api.fields import _shallow_copy
from todos.serializers import TodoSerializer


def drfs_own_fields():
    serializer = TodoSerializer()
    built = serializers.ModelSerializer.get_fields(serializer)
    return {name: repr(field) for name, field in built.items()}


def test_the_fields_are_drfs_own_each_bound_to_its_serializer():
    first, second = TodoSerializer(), TodoSerializer()

    assert {name: repr(field) for name, field in first.fields.items()} == (
        drfs_own_fields()
    )
    for name, field in first.fields.items():
        assert field.parent is first and field.field_name == name
        assert second.fields[name] is not field
        assert second.fields[name].parent is second


def test_the_declared_validators_are_the_ones_drf_would_make():
    serializer = TodoSerializer()

    assert serializer.validators == (
        serializer.get_unique_together_validators()
        + serializer.get_unique_for_date_validators()
    )


def test_each_copy_is_what_copy_copy_makes_of_the_field():
    assert TodoSerializer().fields  # built, and kept on the class
    for field in TodoSerializer._fields_built_once.values():
        mine, theirs = _shallow_copy(field), copy.copy(field)

        assert type(mine) is type(theirs) is type(field)
        assert mine.__dict__ == theirs.__dict__
        assert mine.__dict__ is not field.__dict__
        assert mine is not field
