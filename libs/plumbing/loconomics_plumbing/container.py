"""The service container every service runs in (`SERVICE_CONTAINER_CLS` in nameko.yaml).

nameko's own, running each worker without its per-step timing: nameko wraps the four steps
of every worker in a timing context manager that logs at DEBUG, and formats the call stack
for another DEBUG line, whether or not DEBUG is on; together a noticeable share of an RPC's
CPU in the service. Everything else (dependency injection, the worker's setup, result and
teardown, expected errors logged as warnings and the rest with their traceback) is as in
nameko 2.14.
"""

from __future__ import annotations

import logging
import sys

from nameko import containers

log = logging.getLogger("nameko.containers")


class ServiceContainer(containers.ServiceContainer):
    def _run_worker(self, worker_ctx, handle_result):
        self._inject_dependencies(worker_ctx)
        self._worker_setup(worker_ctx)
        result = exc_info = None
        method = getattr(worker_ctx.service, worker_ctx.entrypoint.method_name)
        try:
            result = method(*worker_ctx.args, **worker_ctx.kwargs)
        except Exception as error:
            if isinstance(error, worker_ctx.entrypoint.expected_exceptions):
                log.warning(
                    "(expected) error handling worker %s: %s", worker_ctx, error, exc_info=True
                )
            else:
                log.exception("error handling worker %s: %s", worker_ctx, error)
            exc_info = sys.exc_info()
        if handle_result is not None:
            result, exc_info = handle_result(worker_ctx, result, exc_info)
        self._worker_result(worker_ctx, result, exc_info)
        # break the traceback's reference cycle now rather than at the next collection
        del exc_info
        self._worker_teardown(worker_ctx)
