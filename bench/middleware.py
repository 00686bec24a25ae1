import time

from django.db import connection


class RequestCostMiddleware:
    """
    Reports what a request cost the app in response headers, for the load
    generator to add up: SQL queries run and CPU time of the worker process.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        started = time.process_time()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(queries)
        response["X-Bench-CPU-us"] = str(int((time.process_time() - started) * 1e6))
        return response
