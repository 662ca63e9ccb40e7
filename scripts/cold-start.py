#!/usr/bin/env python3
"""Cold-start init time of the Lambda functions, measured locally.

Each function's binary is started as Lambda starts it (the Lambda
environment variables, AWS_LAMBDA_RUNTIME_API pointing at a stub of the
runtime API served here) and timed from just before the process is spawned
to its first `GET /2018-06-01/runtime/invocation/next`: what the function
does at cold start (logs, settings and ports from the environment, the AWS
SDK configuration, the metrics recorder), which Lambda reports as Init
Duration. The stub never answers the poll; the process is then killed.

Usage: cold-start.py BIN_DIR RUNS FUNCTION...
The environment given to the functions is this process's own (the
emulators' endpoints and credentials, the INTAKE_* resource names) plus
the AWS_LAMBDA_* variables of the Lambda execution environment.
"""

import http.server
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

NEXT = "/2018-06-01/runtime/invocation/next"


class RuntimeApi(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.polled = threading.Event()
        self.polled_at = None

    def reset(self):
        self.polled = threading.Event()
        self.polled_at = None


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == NEXT:
            if self.server.polled_at is None:
                self.server.polled_at = time.monotonic()
            self.server.polled.set()
            # Never answered: the function waits here until it is killed.
            time.sleep(30)
        else:
            self.send_error(404)

    def do_POST(self):
        # /init/error: the function failed at init.
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode(errors="replace")
        sys.stderr.write(f"runtime API: POST {self.path}: {body}\n")
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def measure(api, binary, function):
    env = dict(os.environ)
    env.update(
        {
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.server_address[1]}",
            "AWS_LAMBDA_FUNCTION_NAME": function,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "cold-start",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_FORMAT": "JSON",
            "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023",
            "LAMBDA_TASK_ROOT": os.path.dirname(binary),
            "_HANDLER": "bootstrap",
        }
    )
    api.reset()
    started = time.monotonic()
    process = subprocess.Popen(
        [binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        polled = api.polled.wait(timeout=20)
        rss = rss_kib(process.pid)
        if not polled:
            raise RuntimeError(f"{function} never polled the runtime API")
        if process.poll() is not None:
            raise RuntimeError(f"{function} exited with {process.returncode}")
        return (api.polled_at - started) * 1000, rss
    finally:
        process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate()
        if not api.polled.is_set() and stderr:
            sys.stderr.write(stderr.decode(errors="replace")[-2000:])


def main():
    bin_dir, runs, functions = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    api = RuntimeApi()
    threading.Thread(target=api.serve_forever, daemon=True).start()
    print(f"{'FUNCTION':<20} {'MEDIAN':>9} {'MIN':>9} {'MAX':>9} {'RSS':>9} {'SIZE':>9}  (init: spawn to first /next, {runs} runs)")
    failed = 0
    for function in functions:
        binary = os.path.join(bin_dir, function)
        try:
            results = [measure(api, binary, function) for _ in range(runs)]
        except RuntimeError as error:
            print(f"{function:<20} FAIL: {error}")
            failed += 1
            continue
        times = [ms for ms, _ in results]
        rss = max(r for _, r in results if r is not None)
        size = os.path.getsize(binary) / 1048576
        print(
            f"{function:<20} {statistics.median(times):7.1f}ms {min(times):7.1f}ms"
            f" {max(times):7.1f}ms {rss / 1024:6.1f}MiB {size:6.1f}MiB"
        )
    api.shutdown()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
