"""CPU of our plumbing around one RPC worker, in one process, without the broker.

Runs nameko's own worker path (`ServiceContainer._run_worker`: inject `Database`,
`CallerIdentity`, `Telemetry`, worker setup, the method, result, teardown) plus the
`@rpc` entrypoint's signature check for `rpc_bench_service.py`'s `echo`, eventlet
monkey-patched as under `nameko run`, and reports CPU per call (`time.process_time`).
The consumer, the reply publish and the ack are not in it (see `rpc_bench.py`).
`--profile` prints the top of a cProfile of the same loop.

    .venv/bin/python bench/profile_rpc_plumbing.py [--calls 20000] [--profile]
"""

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path[:0] = [str(Path(__file__).resolve().parent)]

from nameko.containers import ServiceContainer, WorkerContext  # noqa: E402
from rpc_bench_service import METADATA, RpcBenchService  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="rpc-plumbing-")
    url = f"sqlite:///{os.path.join(folder, 'rpcbench.sqlite3')}"
    os.environ["RPCBENCH_DATABASE_URL"] = url
    engine = create_engine(url)
    METADATA.create_all(engine)
    engine.dispose()
    container = ServiceContainer(RpcBenchService, {"AMQP_URI": "memory://", "serializer": "json"})
    for provider in container.dependencies:
        provider.setup()
    entrypoint = next(e for e in container.entrypoints if e.method_name == "echo")
    context = {"user_id": "bench-user", "roles": "client", "call_id_stack": ["gateway.x.1"]}

    def one_call() -> None:
        kwargs = {"value": "x" * 64}
        entrypoint.check_signature((), kwargs)
        worker_ctx = WorkerContext(container, RpcBenchService(), entrypoint, (), kwargs,
                                   data=context)
        container._run_worker(worker_ctx, None)

    for _ in range(500):
        one_call()
    load = os.getloadavg()[0]
    started = time.process_time()
    for _ in range(args.calls):
        one_call()
    per_call = (time.process_time() - started) / args.calls
    print(f"load average {load:.2f}; {args.calls} calls; CPU per worker: {per_call * 1e6:.1f} µs")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.calls):
            one_call()
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
