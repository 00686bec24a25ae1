"""
FilterSets that rebuild nothing per request that never changes.

django-filter, for every filtered request, deep-copies each declared filter
(and all it holds) into the new FilterSet, then builds a new form class: it
asks each filter for its form field, and each new field works out its label
from the model (`label_for_filter`). The two took about 3,500 of a filtered
list request's 14,700 Python calls (`python -m bench.calls --only
list_filtered`). A filter holds nothing per request but its FilterSet (and
the model), and a form class depends only on the filters' declarations;
todos/tests/test_filtersets_built_once.py holds both to django-filter's own.
Only for FilterSets whose filters' fields do not depend on the request (no
queryset callables).
"""

import copy

from api.per_class import once_per_class


class FormBuiltOnce:
    """A FilterSet mixin: the first request's form class serves every later one."""

    def get_form_class(self):
        return once_per_class(self, "_form_class_built_once", super().get_form_class)


class CopiedShallow:
    """
    A Filter mixin: the copy a FilterSet takes of it is shallow. Each copy
    then gets its own FilterSet (and model) as django-filter binds it; one
    with a `method` gets its own FilterMethod, which finds the method on
    the copy's FilterSet, not on whichever the original last served.
    """

    def __deepcopy__(self, memo):
        copied = copy.copy(self)
        if copied.method is not None:
            copied.method = copied.method
        return copied
