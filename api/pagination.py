from rest_framework import pagination

from api.params import whole_number


class PageNumberPagination(pagination.PageNumberPagination):
    """
    `?page=` and `?page_size=` (default 20, at most 100).

    DRF silently ignores a malformed page_size and answers 404 for a
    malformed page; here both are a 400 naming the parameter, like any other
    malformed query parameter. A page past the last is still a 404.
    """

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        return whole_number(
            request.query_params,
            self.page_size_query_param,
            default=self.page_size,
            maximum=self.max_page_size,
        )

    def get_page_number(self, request, paginator=None):
        return whole_number(request.query_params, self.page_query_param, default=1)

    def check_params(self, request):
        """400 on a malformed page or page_size, before any precondition."""
        self.get_page_size(request)
        self.get_page_number(request)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        # Every key is always sent; `next` and `previous` are null at the ends.
        response["required"] = sorted(response["properties"])
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
                parameter["schema"]["default"] = self.page_size
                parameter["description"] = "Results per page."
            elif parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1, default=1)
                parameter["description"] = "Page number (past the last one: 404)."
        return parameters
