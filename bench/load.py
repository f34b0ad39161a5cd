"""A small closed-loop load generator for 127.0.0.1 only: `connections` threads, each sending
one GET after the other (a new connection each time: gunicorn's sync workers close them),
until `seconds` have passed or `max_requests` were sent. Standard library only, so that it
costs the two workers little CPU on a small machine."""

import http.client
import statistics
import threading
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"


@dataclass
class LoadResult:
    url: str
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, pct: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(pct / 100 * len(ordered)))]

    def as_dict(self) -> dict:
        return {
            "url": self.url,
            "seconds": round(self.seconds, 1),
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50": self.percentile(50),
            "p95": self.percentile(95),
            "p99": self.percentile(99),
            "max": max(self.latencies_ms, default=float("nan")),
            "mean": statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan"),
            "errors": self.errors,
            "error_samples": self.error_samples[:5],
        }


def run(
    port: int,
    url: str,
    headers: dict,
    *,
    seconds: float,
    max_requests: int,
    connections: int,
    expect: bytes,
) -> LoadResult:
    """Load `url`; a response counts as an error unless it is a 200 containing `expect`."""
    result = LoadResult(url, seconds)
    lock = threading.Lock()
    sent = 0
    deadline = time.perf_counter() + seconds

    def worker():
        nonlocal sent
        while True:
            with lock:
                if sent >= max_requests or time.perf_counter() >= deadline:
                    return
                sent += 1
            started = time.perf_counter()
            problem = None
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                conn.request("GET", url, headers=headers)
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status != 200 or expect not in body:
                    problem = f"HTTP {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if problem:
                    result.errors += 1
                    result.error_samples.append(problem)
                else:
                    result.latencies_ms.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result
