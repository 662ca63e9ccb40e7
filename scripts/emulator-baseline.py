#!/usr/bin/env python3
"""Throughput of the local emulators ALONE, for the operations the pipeline uses.

Run by scripts/bench.sh after the load tool (BENCH_BASELINE=0 skips it), with
.local/venv/bin/python (boto3 comes with moto). It answers "are the emulators
the ceiling?": each operation is called by --concurrency threads (default 16,
spread over --processes processes, default 2, so that the client is not held to
one core by the GIL) for --seconds seconds (default 5):

  s3.PutObject              moto S3, 20 KB objects (--object-bytes)
  s3.GetObject              moto S3, the same size, read whole
  sqs.SendMessageBatch      moto SQS, 10 messages of ~200 bytes per call, into an empty queue
  sqs.Receive+DeleteBatch   moto SQS, ReceiveMessage (10, no wait) + DeleteMessageBatch, from
                            the queue the sends filled
  sqs.Send+Recv+Del cycle   one SendMessageBatch(10) + ReceiveMessage(10) + DeleteMessageBatch per
                            call on a queue held shallow (10 messages per thread): the three calls
                            a file costs when the fan-out and the workers keep pace
  ddb.PutItem               DynamoDB Local, one small item per call, distinct keys
  ddb.UpdateItem            DynamoDB Local, conditional (attribute_exists + status guard),
                            each thread on its own items
  ddb.UpdateItem hot item   the same, every thread on ONE item (a job counter)
  ddb.Query                 DynamoDB Local, one partition of 100 items (Limit 100)

Then, with one client, moto SQS's cost per call at queue depths 10, 100 and
400 (--sqs-depths): ReceiveMessage(10) + DeleteMessageBatch + SendMessageBatch(10)
rounds at a constant depth, and the messages/s one consumer gets at that depth.

Printed: ops/s and items/s (messages or items moved per second), p50/p99
latency, errors, and the client's CPU use (if the client is near its CPU
limit, the number is the client's ceiling, not the emulator's); for SQS the
queue depth before -> after (moto's SQS calls cost time in proportion to the
messages in the queue, so depth matters).

Its own resources (bucket, queue, table) carry a random `baseline-xxxxxx`
prefix and are deleted at the end, also after a failure.

Endpoints and credentials from the environment, as scripts/lib.sh exports
them from .local/emulators.env: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SQS,
AWS_ENDPOINT_URL_DYNAMODB, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_REGION. Usage:

  emulator-baseline.py [--seconds S] [--concurrency C] [--processes P]
                       [--object-bytes B] [--only OP[,OP...]] [--sqs-depths D,D,...]
                       [--json PATH]

Exit status 0 when every operation ran (errors are reported, not fatal), 1
when the set-up failed, 2 on bad usage.
"""

import argparse
import json
import multiprocessing
import os
import random
import secrets
import sys
import threading
import time

try:
    import boto3
    from botocore.config import Config
except ImportError:  # pragma: no cover
    sys.exit("emulator-baseline: boto3 missing; run it with .local/venv/bin/python (make setup)")

QUERY_ITEMS = 100
HOT_KEY = ("hot", "counter")
GET_OBJECTS = 64


def clients(concurrency):
    cfg = Config(
        retries={"max_attempts": 1, "mode": "standard"},
        s3={"addressing_style": "path"},
        max_pool_connections=max(10, concurrency),
        connect_timeout=5,
        read_timeout=30,
    )
    env = os.environ
    return (
        boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL_S3"], config=cfg),
        boto3.client("sqs", endpoint_url=env["AWS_ENDPOINT_URL_SQS"], config=cfg),
        boto3.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"], config=cfg),
    )


# --------------------------------------------------------------------- operations
# Each op(ctx, worker, n) performs one call and returns the number of items it moved.


def op_s3_put(ctx, worker, n):
    ctx["s3"].put_object(
        Bucket=ctx["bucket"], Key=f"put/{worker}/{n}", Body=ctx["body"], ContentType="application/xml"
    )
    return 1


def op_s3_get(ctx, worker, n):
    key = f"seed/{(worker * 7919 + n) % GET_OBJECTS}"
    ctx["s3"].get_object(Bucket=ctx["bucket"], Key=key)["Body"].read()
    return 1


def op_sqs_send(ctx, worker, n):
    entries = [
        {"Id": str(i), "MessageBody": ctx["message"] % (worker, n, i)} for i in range(10)
    ]
    answer = ctx["sqs"].send_message_batch(QueueUrl=ctx["queue"], Entries=entries)
    if answer.get("Failed"):
        raise RuntimeError(f"{len(answer['Failed'])} entries failed")
    return 10


def _receive_delete(ctx, queue):
    answer = ctx["sqs"].receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=60
    )
    messages = answer.get("Messages", [])
    if messages:
        ctx["sqs"].delete_message_batch(
            QueueUrl=queue,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    return len(messages)


def op_sqs_receive_delete(ctx, worker, n):
    return _receive_delete(ctx, ctx["queue"])


def op_sqs_cycle(ctx, worker, n):
    entries = [
        {"Id": str(i), "MessageBody": ctx["message"] % (worker, n, i)} for i in range(10)
    ]
    ctx["sqs"].send_message_batch(QueueUrl=ctx["cycle_queue"], Entries=entries)
    return _receive_delete(ctx, ctx["cycle_queue"])


def op_ddb_put(ctx, worker, n):
    ctx["ddb"].put_item(
        TableName=ctx["table"],
        Item={
            "pk": {"S": f"put#{worker}"},
            "sk": {"S": f"file#{n:08d}"},
            "status": {"S": "queued"},
            "name": {"S": f"invoice-{n}.xml"},
            "size": {"N": "20480"},
            "attempts": {"N": "0"},
        },
    )
    return 1


def _update(ctx, pk, sk):
    ctx["ddb"].update_item(
        TableName=ctx["table"],
        Key={"pk": {"S": pk}, "sk": {"S": sk}},
        UpdateExpression="SET #st = :processing, updated_at = :now ADD attempts :one",
        ConditionExpression="attribute_exists(pk) AND #st <> :done",
        ExpressionAttributeNames={"#st": "status"},
        ExpressionAttributeValues={
            ":processing": {"S": "processing"},
            ":done": {"S": "succeeded"},
            ":now": {"S": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            ":one": {"N": "1"},
        },
    )
    return 1


def op_ddb_update(ctx, worker, n):
    return _update(ctx, "upd", f"file#{worker}-{n % 16}")


def op_ddb_update_hot(ctx, worker, n):
    return _update(ctx, *HOT_KEY)


def op_ddb_query(ctx, worker, n):
    answer = ctx["ddb"].query(
        TableName=ctx["table"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "query"}},
        Limit=QUERY_ITEMS,
    )
    return answer["Count"]


OPS = [
    ("s3.PutObject", "s3_put", op_s3_put),
    ("s3.GetObject", "s3_get", op_s3_get),
    ("sqs.SendMessageBatch(10)", "sqs_send", op_sqs_send),
    ("sqs.Receive+DeleteBatch", "sqs_receive_delete", op_sqs_receive_delete),
    ("sqs.Send+Recv+Del cycle", "sqs_cycle", op_sqs_cycle),
    ("ddb.PutItem", "ddb_put", op_ddb_put),
    ("ddb.UpdateItem (cond.)", "ddb_update", op_ddb_update),
    ("ddb.UpdateItem hot item", "ddb_update_hot", op_ddb_update_hot),
    (f"ddb.Query ({QUERY_ITEMS} items)", "ddb_query", op_ddb_query),
]
BY_KEY = {key: (label, fn) for label, key, fn in OPS}


# --------------------------------------------------------------------- running


def run_process(args):
    """Runs one op with `threads` threads for `seconds` in this process."""
    key, process_index, threads, seconds, names, object_bytes = args
    _, fn = BY_KEY[key]
    s3, sqs, ddb = clients(threads)
    ctx = {
        "s3": s3,
        "sqs": sqs,
        "ddb": ddb,
        "bucket": names["bucket"],
        "queue": names["queue"],
        "cycle_queue": names["cycle_queue"],
        "table": names["table"],
        "body": random.randbytes(object_bytes) if hasattr(random, "randbytes") else os.urandom(object_bytes),
        "message": '{"job_id":"job_%s","file_id":"fil_%s_%s","tenant":"baseline","attempt":1,'
        '"key":"uploads/tenant/ses_0123456789abcdef/fil_0123456789abcdef"}',
    }
    latencies, errors, items = [], [], [0]
    lock = threading.Lock()
    barrier = threading.Barrier(threads)
    cpu_start = time.process_time()
    wall_start = [0.0]

    def worker(thread_index):
        worker_id = process_index * threads + thread_index
        mine, mine_items, mine_errors = [], 0, []
        barrier.wait()
        if thread_index == 0:
            wall_start[0] = time.perf_counter()
        deadline = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                mine_items += fn(ctx, worker_id, n)
                mine.append(time.perf_counter() - started)
            except Exception as error:  # counted, never fatal
                mine_errors.append(f"{type(error).__name__}: {error}"[:200])
            n += 1
        with lock:
            latencies.extend(mine)
            errors.extend(mine_errors)
            items[0] += mine_items

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - wall_start[0]
    return {
        "latencies": latencies,
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:3],
        "items": items[0],
        "wall": wall,
        "cpu": time.process_time() - cpu_start,
    }


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), int(-(-p * len(sorted_values) // 1))))
    return sorted_values[rank - 1]


def measure(key, options, names, mp):
    processes = max(1, min(options.processes, options.concurrency))
    per = [options.concurrency // processes + (1 if i < options.concurrency % processes else 0) for i in range(processes)]
    jobs = [(key, i, t, options.seconds, names, options.object_bytes) for i, t in enumerate(per) if t > 0]
    if len(jobs) == 1:
        parts = [run_process(jobs[0])]
    else:
        with mp.Pool(len(jobs)) as pool:
            parts = pool.map(run_process, jobs)
    latencies = sorted(x for part in parts for x in part["latencies"])
    wall = max(part["wall"] for part in parts) or 1e-9
    ops = len(latencies)
    label, _ = BY_KEY[key]
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    return {
        "op": label,
        "key": key,
        "ops": ops,
        "ops_per_s": round(ops / wall, 1),
        "items_per_s": round(sum(part["items"] for part in parts) / wall, 1),
        "p50_ms": round(p50 * 1000, 2) if p50 is not None else None,
        "p99_ms": round(p99 * 1000, 2) if p99 is not None else None,
        "errors": sum(part["errors"] for part in parts),
        "error_examples": sorted({e for part in parts for e in part["error_examples"]})[:3],
        # Client CPU (all its processes) as a share of the whole machine.
        "client_cpu_pct": round(100 * sum(part["cpu"] for part in parts) / wall / (os.cpu_count() or 1), 1),
        "wall_s": round(wall, 2),
    }


# --------------------------------------------------------------------- resources


def set_up(names, object_bytes, concurrency):
    s3, sqs, ddb = clients(16)
    s3.create_bucket(Bucket=names["bucket"])
    names["queue"] = sqs.create_queue(QueueName=names["queue_name"])["QueueUrl"]
    names["cycle_queue"] = sqs.create_queue(QueueName=names["cycle_queue_name"])["QueueUrl"]
    names["sweep_queue"] = sqs.create_queue(QueueName=names["sweep_queue_name"])["QueueUrl"]
    ddb.create_table(
        TableName=names["table"],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.get_waiter("table_exists").wait(TableName=names["table"], WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    body = os.urandom(object_bytes)
    for i in range(GET_OBJECTS):
        s3.put_object(Bucket=names["bucket"], Key=f"seed/{i}", Body=body)
    # Items the updates and the query work on.
    requests = []
    for i in range(QUERY_ITEMS):
        requests.append({"pk": {"S": "query"}, "sk": {"S": f"file#{i:05d}"}, "status": {"S": "succeeded"}, "name": {"S": f"invoice-{i}.xml"}})
    for worker in range(concurrency):
        for n in range(16):
            requests.append({"pk": {"S": "upd"}, "sk": {"S": f"file#{worker}-{n}"}, "status": {"S": "queued"}, "attempts": {"N": "0"}})
    requests.append({"pk": {"S": HOT_KEY[0]}, "sk": {"S": HOT_KEY[1]}, "status": {"S": "processing"}, "attempts": {"N": "0"}})
    for start in range(0, len(requests), 25):
        batch = [{"PutRequest": {"Item": item}} for item in requests[start : start + 25]]
        pending = {names["table"]: batch}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None


def depth(queue_url):
    """Messages in the queue, visible and in flight (None when unknown)."""
    try:
        _, sqs, _ = clients(1)
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])
    except Exception:
        return None


def fill(queue_url, count):
    _, sqs, _ = clients(1)
    for start in range(0, count, 10):
        entries = [{"Id": str(i), "MessageBody": f"fill {start + i}"} for i in range(min(10, count - start))]
        sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)


def depth_sweep(queue_url, depths, rounds=5):
    """One client: per-call cost of moto SQS at each queue depth (the queue is filled up to it)."""
    _, sqs, _ = clients(1)
    entries = [{"Id": str(i), "MessageBody": '{"job_id":"job_sweep","file_id":"fil_%d"}' % i} for i in range(10)]
    rows, current = [], 0
    for target in sorted(depths):
        while current < target:
            sqs.send_message_batch(QueueUrl=queue_url, Entries=entries[: min(10, target - current)])
            current += min(10, target - current)
        receive = delete = send = 0.0
        moved = 0
        for _ in range(rounds):
            t = time.perf_counter()
            messages = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=60
            ).get("Messages", [])
            receive += time.perf_counter() - t
            t = time.perf_counter()
            if messages:
                sqs.delete_message_batch(
                    QueueUrl=queue_url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
                )
            delete += time.perf_counter() - t
            t = time.perf_counter()
            sqs.send_message_batch(QueueUrl=queue_url, Entries=entries[: len(messages)] or entries[:1])
            send += time.perf_counter() - t
            current += max(1, len(messages)) - len(messages)
            moved += len(messages)
        rows.append(
            {
                "depth": target,
                "receive_ms": round(1000 * receive / rounds, 1),
                "delete_ms": round(1000 * delete / rounds, 1),
                "send_ms": round(1000 * send / rounds, 1),
                # One consumer that receives, deletes and (as the fan-out) sends: messages per second.
                "one_consumer_msgs_per_s": round(moved / (receive + delete + send), 1) if moved else 0.0,
            }
        )
    return rows


def tear_down(names):
    s3, sqs, ddb = clients(16)
    problems = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=names["bucket"]):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            for start in range(0, len(keys), 1000):
                s3.delete_objects(Bucket=names["bucket"], Delete={"Objects": keys[start : start + 1000], "Quiet": True})
        s3.delete_bucket(Bucket=names["bucket"])
    except Exception as error:
        problems.append(f"bucket {names['bucket']}: {error}")
    for name in ("queue_name", "cycle_queue_name", "sweep_queue_name"):
        try:
            sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=names[name])["QueueUrl"])
        except Exception as error:
            problems.append(f"queue {names[name]}: {error}")
    try:
        ddb.delete_table(TableName=names["table"])
    except Exception as error:
        problems.append(f"table {names['table']}: {error}")
    for problem in problems:
        print(f"emulator-baseline: WARNING: could not delete {problem}", file=sys.stderr)


# --------------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per operation (default 5)")
    parser.add_argument("--concurrency", type=int, default=16, help="threads in all (default 16)")
    parser.add_argument("--processes", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--object-bytes", type=int, default=20 * 1024, help="S3 object size (default 20480)")
    parser.add_argument("--only", default="", help="comma-separated op keys: " + ",".join(k for _, k, _ in OPS))
    parser.add_argument(
        "--sqs-depths", default="10,100,400", help="queue depths of the SQS sweep (default 10,100,400; empty: none)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as one JSON object to PATH")
    options = parser.parse_args()
    try:
        sweep_depths = [int(d) for d in options.sqs_depths.split(",") if d.strip()]
    except ValueError:
        parser.error(f"--sqs-depths: not a list of numbers: {options.sqs_depths}")
    if any(d < 1 for d in sweep_depths):
        parser.error("--sqs-depths: depths must be at least 1")
    if options.seconds <= 0 or options.concurrency < 1 or options.processes < 1 or options.object_bytes < 1:
        parser.error("--seconds, --concurrency, --processes and --object-bytes must be positive")
    keys = [k.strip() for k in options.only.split(",") if k.strip()] or [k for _, k, _ in OPS]
    unknown = [k for k in keys if k not in BY_KEY]
    if unknown:
        parser.error(f"unknown op {', '.join(unknown)}; known: {', '.join(BY_KEY)}")
    # The receive test needs messages: sending runs first.
    if "sqs_receive_delete" in keys and "sqs_send" not in keys:
        keys.insert(keys.index("sqs_receive_delete"), "sqs_send")
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_DYNAMODB"):
        if not os.environ.get(name):
            print(f"emulator-baseline: {name} is not set (source .local/emulators.env)", file=sys.stderr)
            return 1

    prefix = f"baseline-{secrets.token_hex(3)}"
    names = {
        "bucket": f"{prefix}-bucket",
        "queue_name": f"{prefix}-queue",
        "cycle_queue_name": f"{prefix}-cycle",
        "sweep_queue_name": f"{prefix}-sweep",
        "table": f"{prefix}-table",
    }
    mp = multiprocessing.get_context("fork")
    results, sweep = [], []
    started = time.perf_counter()
    try:
        try:
            set_up(names, options.object_bytes, options.concurrency)
        except Exception as error:
            print(f"emulator-baseline: set-up failed: {error}", file=sys.stderr)
            return 1
        print(
            f"[baseline] {len(keys)} operations x {options.seconds:g} s, {options.concurrency} threads "
            f"in {min(options.processes, options.concurrency)} processes; resources {prefix}-*",
            file=sys.stderr,
        )
        for key in keys:
            queue = {"sqs_send": "queue", "sqs_receive_delete": "queue", "sqs_cycle": "cycle_queue"}.get(key)
            if key == "sqs_cycle":
                fill(names["cycle_queue"], options.concurrency * 10)
            before = depth(names[queue]) if queue else None
            result = measure(key, options, names, mp)
            if queue:
                result["queue_depth"] = [before, depth(names[queue])]
            results.append(result)
            print(f"[baseline] {result['op']}: {result['ops_per_s']} ops/s", file=sys.stderr)
        if sweep_depths:
            print(f"[baseline] moto SQS at queue depths {', '.join(map(str, sweep_depths))}", file=sys.stderr)
            sweep = depth_sweep(names["sweep_queue"], sweep_depths)
    finally:
        tear_down(names)

    cpus = os.cpu_count() or 1
    print(f"\nEmulators alone ({options.concurrency} client threads, {options.seconds:g} s per operation, {cpus} CPUs)")
    print(
        f"{'operation':<28} {'ops/s':>9} {'items/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'client CPU':>11}  note"
    )
    for r in results:
        p50 = "-" if r["p50_ms"] is None else f"{r['p50_ms']:.1f}"
        p99 = "-" if r["p99_ms"] is None else f"{r['p99_ms']:.1f}"
        note = ""
        if "queue_depth" in r:
            note = "queue depth {} -> {}".format(*("?" if d is None else d for d in r["queue_depth"]))
        print(
            f"{r['op']:<28} {r['ops_per_s']:>9.1f} {r['items_per_s']:>9.1f} {p50:>8} {p99:>8} "
            f"{r['errors']:>7} {r['client_cpu_pct']:>10.0f}%  {note}"
        )
    for r in results:
        for example in r["error_examples"]:
            print(f"  error in {r['op']}: {example}")
    if sweep:
        print("\nmoto SQS cost vs queue depth (one client; ms per call)")
        print(f"{'depth':>7} {'Receive(10)':>12} {'DeleteBatch':>12} {'SendBatch':>10} {'msgs/s, one consumer':>22}")
        for row in sweep:
            print(
                f"{row['depth']:>7} {row['receive_ms']:>12.1f} {row['delete_ms']:>12.1f} "
                f"{row['send_ms']:>10.1f} {row['one_consumer_msgs_per_s']:>22.1f}"
            )
    print(f"baseline took {time.perf_counter() - started:.1f} s")
    if options.json:
        with open(options.json, "w", encoding="utf-8") as out:
            json.dump(
                {
                    "concurrency": options.concurrency,
                    "processes": options.processes,
                    "seconds_per_op": options.seconds,
                    "object_bytes": options.object_bytes,
                    "cpus": cpus,
                    "results": results,
                    "sqs_depth_sweep": sweep,
                },
                out,
            )
            out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
