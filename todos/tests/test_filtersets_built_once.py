"""The todo FilterSets' filters and form are those django-filter builds."""

import copy

import django_filters
import pytest
from django.http import QueryDict

from todos.filters import CompletionFilter, TodoFilter
from todos.models import Completion, Todo


def described(form_class):
    return {
        name: (type(field), field.label, field.required, field.help_text)
        for name, field in form_class.base_fields.items()
    }


@pytest.mark.parametrize(
    ("filterset_class", "model"), [(TodoFilter, Todo), (CompletionFilter, Completion)]
)
def test_the_form_is_django_filters_own(filterset_class, model):
    filterset = filterset_class(QueryDict(""), queryset=model.objects.none())
    own = django_filters.FilterSet.get_form_class(filterset)

    assert described(filterset.get_form_class()) == described(own)


def test_each_filterset_gets_the_same_class_and_a_form_of_its_own():
    first = TodoFilter(QueryDict("priority=high"), queryset=Todo.objects.none())
    second = TodoFilter(QueryDict("priority=loud"), queryset=Todo.objects.none())

    assert type(first.form) is type(second.form)
    assert first.form.fields["priority"] is not second.form.fields["priority"]
    assert first.is_valid() and first.form.cleaned_data["priority"] == [
        Todo.Priority.HIGH
    ]
    assert not second.is_valid()
    assert "Unknown priority 'loud'" in second.errors["priority"][0]


def test_each_filterset_has_its_own_filters_bound_to_it():
    first = TodoFilter(QueryDict(""), queryset=Todo.objects.none())
    second = TodoFilter(QueryDict(""), queryset=Todo.objects.none())

    for name, declared in TodoFilter.base_filters.items():
        mine, theirs = first.filters[name], second.filters[name]
        assert mine is not theirs and mine is not declared
        assert mine.parent is first and mine.model is Todo
        if declared.method is not None:
            # A method filter calls the method of its own FilterSet.
            assert mine.filter.f is mine and theirs.filter.f is theirs


def test_a_shallow_copy_holds_what_a_deep_copy_holds():
    for name, declared in TodoFilter.base_filters.items():
        shallow = declared.__deepcopy__({})
        deep = copy.deepcopy(declared, {})  # django-filter's own copy
        assert {k: v for k, v in vars(shallow).items() if k != "filter"} == {
            k: v for k, v in vars(deep).items() if k != "filter"
        }, name


def test_a_method_filter_filters_through_its_own_filterset(user, make_todo):
    make_todo(title="mine", assignee_id=user.pk)
    make_todo(title="nobody's")
    request = type("Request", (), {"user": user})()
    filterset = TodoFilter(
        QueryDict("assignee=me"), queryset=Todo.objects.all(), request=request
    )

    assert [todo.title for todo in filterset.qs] == ["mine"]
