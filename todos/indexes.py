import copy

from django.db import models
from django.db.models import OrderBy


class NullsLastIndex(models.Index):
    """
    An index whose descending keys put NULLs last, on every database: PostgreSQL
    needs `DESC NULLS LAST` spelled out, SQLite rejects it in an index but its
    descending order already puts NULLs last.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            self = copy.copy(self)
            self.expressions = tuple(
                OrderBy(expression.expression, descending=expression.descending)
                if isinstance(expression, OrderBy)
                else expression
                for expression in self.expressions
            )
        return super().create_sql(model, schema_editor, using=using, **kwargs)
