import time

from django.db import connection


class RequestCostMiddleware:
    """
    Reports what a request cost the app in response headers, for the load
    generator to add up: SQL queries run and the CPU time of the thread
    that served it (a worker may serve several requests at once on its
    threads; the server's own HTTP work is measured apart, in bench.run).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        started = time.thread_time()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(queries)
        response["X-Bench-CPU-us"] = str(int((time.thread_time() - started) * 1e6))
        return response
