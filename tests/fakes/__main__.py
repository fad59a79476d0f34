"""Serve one fake provider by hand: `python -m tests.fakes freepik --port 8765`, then point filmc at it."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading

from . import FAKES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes", description=__doc__)
    parser.add_argument("provider", choices=sorted(FAKES))
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--key", default="test-key", help="the API key (Kling: the access key) it accepts")
    parser.add_argument("--secret", default="test-secret-key", help="Kling only: the secret key")
    parser.add_argument("--steps", type=int, default=2, help="polls answered as queued/running before done")
    parser.add_argument("--outcome", choices=["done", "failed", "moderated"], default="done",
                        help="how every task ends")
    args = parser.parse_args(argv)
    kw = {"access_key": args.key, "secret_key": args.secret} if args.provider == "kling" else {"key": args.key}
    fake = FAKES[args.provider](steps=args.steps, port=args.port, **kw)
    fake.outcome = args.outcome
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with fake:
        print(fake.base_url, flush=True)
        for name, value in fake.env().items():
            print(f"export {name}={shlex.quote(value)}", flush=True)
        try:
            done.wait()
        except KeyboardInterrupt:
            pass
    print(f"{len(fake.requests)} requests, {fake.create_count} tasks created", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
