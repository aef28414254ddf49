"""gunicorn settings for the gateway: gthread workers, never eventlet; metrics across workers."""

import os

from loconomics_plumbing.logs import logging_config

bind = f"{os.environ.get('GATEWAY_HOST', '127.0.0.1')}:{os.environ.get('GATEWAY_PORT', '8000')}"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GATEWAY_THREADS", "8"))
timeout = 30
limit_request_line = 8190
graceful_timeout = 10
preload_app = False
# No `gunicornc` control socket: the platform scripts and Kubernetes manage the processes, and
# every gunicorn of one user would otherwise share $HOME/.gunicorn/gunicorn.ctl, so a command
# meant for one gateway could reach another (a test platform's, a benchmark's).
control_socket_disable = True
logconfig_dict = logging_config(os.environ.get("LOG_LEVEL", "INFO"))
accesslog = "-"


def child_exit(server, worker):
    """Drop the gauges of a worker that died, so /metrics adds up the living only."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
