"""Load on the price and availability API: 100 quoting clients against Causeway and the ERP.

Both sandboxes run in this process (seeded with customers and products); the API runs as an
operator runs it, `causeway api serve -p causeway.yaml`, in its own process, pricing through
the project's s4hana system (the ERP sandbox). `--clients` concurrent clients
(httpx.AsyncClient) then send quotes for `--seconds`: `--repeat` of them (80% by default) one of
`--popular` quotes that reps keep refreshing, the others a quote never asked before.

Measured in the same run, with the same clients and mix, `--baseline-seconds` each:
- `erp_direct`: the same quotes sent straight to the ERP sandbox's simulation through the
  S/4HANA connector, without Causeway (what every quote would cost without the cache);
- `healthz`: `GET /healthz` on the API (its HTTP stack alone, no token, no ERP).

Prints one JSON document: requests/s, latency percentiles, status counts, the cache hit rate
(answers with `source: cache`) and the ratios to the baselines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import yaml

from causeway.api.client_secrets import hash_secret
from causeway.connectors.errors import ConnectorError
from causeway.connectors.s4hana.client import S4Settings
from causeway.connectors.s4hana.connector import S4Connector
from causeway.connectors.s4hana.simulation import QuoteLine
from causeway.demo import write_project_file
from causeway.sandbox.launch import RunningSandboxes, start_both
from causeway.sandbox.seed import SeedConfig, generate

CLIENT = "quoting-tool"
PATH = "/v1/quotes/price-availability"
Quote = dict[str, Any]


@dataclass
class Tally:
    """What one phase measured."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float:
            if not ordered:
                return 0.0
            return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

        total = sum(self.statuses.values())
        answered = self.sources["cache"] + self.sources["erp"]
        out: dict[str, Any] = {
            "requests": total,
            "requests_per_s": round(total / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "max_ms": round(ordered[-1] * 1000, 2) if ordered else 0.0,
            "statuses": dict(sorted(self.statuses.items())),
            "errors": total - self.statuses["200"],
        }
        if answered:
            out["cache_hit_rate"] = round(self.sources["cache"] / answered, 4)
            out["degraded"] = self.sources["degraded"]
        return out


class Mix:
    """Popular quotes repeated, new ones made up; the same draw for every phase."""

    def __init__(
        self, customers: list[str], materials: list[str], popular: int, repeat: float, seed: int
    ) -> None:
        self.rng = random.Random(seed)
        self.customers = customers
        self.materials = materials
        self.repeat = repeat
        self.counter = 0
        self.popular = [self._new() for _ in range(popular)]

    def _new(self) -> Quote:
        self.counter += 1
        count = self.rng.randint(1, 5)
        lines = [
            # A quantity never drawn before makes the quote new for the cache.
            {"material": material, "quantity": str(self.rng.randint(1, 20) + self.counter / 1000)}
            for material in self.rng.sample(self.materials, count)
        ]
        return {"customer": self.rng.choice(self.customers), "currency": "EUR", "lines": lines}

    def next(self) -> Quote:
        if self.rng.random() < self.repeat:
            return self.rng.choice(self.popular)
        return self._new()


async def drive(
    clients: int,
    seconds: float,
    call: Callable[[], Awaitable[tuple[str, str | None]]],
    think: float = 0.0,
) -> Tally:
    """`clients` loops calling `call` for `seconds`, each pausing about `think` seconds
    (0.5 to 1.5 times it, at random) between its calls; 0 means back to back."""
    tally = Tally()
    stop = time.monotonic() + seconds
    pauses = random.Random(11)

    async def one_client() -> None:
        if think:
            await asyncio.sleep(pauses.uniform(0.0, think))  # clients do not start in step
        while time.monotonic() < stop:
            if think:
                await asyncio.sleep(think * pauses.uniform(0.5, 1.5))
            started = time.perf_counter()
            status, source = await call()
            tally.latencies.append(time.perf_counter() - started)
            tally.statuses[status] += 1
            if source:
                tally.sources[source] += 1

    started = time.monotonic()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    tally.elapsed = time.monotonic() - started
    return tally


def start_api(project: Path, port: int, key: str, folder: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CAUSEWAY_API_SIGNING_KEY": key}
    log = (folder / "api.log").open("wb")
    command = [
        sys.executable, "-c", "from causeway.cli import main; main()",
        "api", "serve", "-p", str(project), "--port", str(port),
    ]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError("the API exited; see api.log")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the API did not start within 30 s")


async def usable_customers(connector: S4Connector, numbers: list[str], sku: str) -> list[str]:
    """Customers the ERP prices for (some seeded ones are blocked or have no sales area)."""
    usable = []
    for number in numbers:
        try:
            await connector.simulate_order(number, "EUR", [QuoteLine(sku, Decimal(1))])
        except ConnectorError:
            continue
        usable.append(number)
    return usable


async def run(args: argparse.Namespace, running: RunningSandboxes, folder: Path) -> dict[str, Any]:
    assert running.erp is not None
    assert running.erp_settings is not None
    universe_skus = args.skus
    erp = S4Connector(S4Settings.model_validate({
        "base_url": running.erp.url, "username": running.erp_settings.username,
        "password": running.erp_settings.password, "sap_client": running.erp_settings.sap_client,
        "timeout_s": 10.0,
    }))
    numbers = sorted(running.erp_seed_index.values())[: args.customers]
    customers = await usable_customers(erp, numbers, universe_skus[0])

    secret = secrets.token_urlsafe(24)
    key = secrets.token_urlsafe(48)
    project = write_project_file(running, folder)
    document = yaml.safe_load(project.read_text(encoding="utf-8"))
    document["api"] = {
        "clients": {CLIENT: {"secret_hash": hash_secret(secret), "scopes": ["quotes:price"]}}
    }
    project.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_api(project, port, key, folder)
    try:
        await wait_ready(base, process)
        limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
            token = (await http.post("/oauth2/token", data={
                "grant_type": "client_credentials", "client_id": CLIENT, "client_secret": secret,
            })).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}

            mix = Mix(customers, universe_skus, args.popular, args.repeat, args.seed)

            async def quote() -> tuple[str, str | None]:
                try:
                    response = await http.post(PATH, json=mix.next(), headers=headers)
                except httpx.HTTPError as error:
                    return type(error).__name__, None
                if response.status_code != 200:
                    return str(response.status_code), None
                answer = response.json()
                return "200", "degraded" if answer["degraded"] else answer["source"]

            async def health() -> tuple[str, str | None]:
                try:
                    response = await http.get("/healthz")
                except httpx.HTTPError as error:
                    return type(error).__name__, None
                return str(response.status_code), None

            direct_mix = Mix(customers, universe_skus, args.popular, args.repeat, args.seed)

            async def direct() -> tuple[str, str | None]:
                body = direct_mix.next()
                lines = [QuoteLine(line["material"], Decimal(line["quantity"]))
                         for line in body["lines"]]
                try:
                    await erp.simulate_order(body["customer"], "EUR", lines, timeout_s=10.0)
                except ConnectorError as error:
                    return f"{error.error_class}:{error.status}", None
                return "200", None

            api = await drive(args.clients, args.seconds, quote, args.think)
            healthz = await drive(args.clients, args.baseline_seconds, health, args.think)
        erp_direct = await drive(args.clients, args.baseline_seconds, direct, args.think)
    finally:
        process.terminate()
        process.wait(timeout=30)
        await erp.aclose()

    result = {
        "clients": args.clients,
        "think_s": args.think,
        "seconds": args.seconds,
        "mix": {"repeat": args.repeat, "popular_quotes": args.popular,
                "customers": len(customers), "materials": len(universe_skus)},
        "api": api.summary(),
        "baseline_erp_direct": erp_direct.summary(),
        "baseline_healthz": healthz.summary(),
    }
    api_rps = result["api"]["requests_per_s"]
    result["ratio_to_erp_direct"] = round(api_rps / max(erp_direct.summary()["requests_per_s"],
                                                        0.1), 2)
    result["ratio_to_healthz"] = round(api_rps / max(healthz.summary()["requests_per_s"], 0.1), 3)
    return result


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m benchmarks.price_api [--seconds S --think T ...]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument(
        "--think", type=float, default=0.0,
        help="seconds a client pauses between quotes (0: back to back, the saturation test)",
    )
    parser.add_argument("--repeat", type=float, default=0.8, help="share of popular quotes")
    parser.add_argument("--popular", type=int, default=50, help="popular quotes in the mix")
    parser.add_argument("--customers", type=int, default=40, help="ERP customers quoted for")
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    universe = generate(SeedConfig(accounts=60, products=args.products, seed=args.seed))
    args.skus = [product.sku for product in universe.products]
    with tempfile.TemporaryDirectory(prefix="causeway-price-bench-") as name:
        folder = Path(name)
        running = start_both(universe, folder)
        try:
            result = asyncio.run(run(args, running, folder))
        finally:
            running.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
