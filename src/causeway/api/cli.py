"""`causeway api serve|hash-secret|token`: run the HTTP API and manage its clients."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from causeway.api.client_secrets import hash_secret, new_secret
from causeway.api.settings import ApiConfigError, ApiSettings
from causeway.project import Project, ProjectError, load_project

app = typer.Typer(help="Causeway's HTTP API: serve it, hash client secrets.", no_args_is_help=True)

ProjectOption = Annotated[
    Path, typer.Option("--project", "-p", help="The project file, with an `api:` section.")
]
MIN_SECRET_LENGTH = 16


def _api(path: Path) -> tuple[Project, ApiSettings]:
    try:
        project = load_project(path)
    except ProjectError as error:
        raise typer.BadParameter(str(error), param_hint="--project") from None
    if project.config.api is None:
        raise typer.BadParameter(
            f"{path} has no `api:` section (docs/api.md)", param_hint="--project"
        )
    return project, project.config.api


@app.command("serve")
def serve_command(
    project_file: ProjectOption,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8700,
    url: Annotated[
        str | None, typer.Option(help="Database URL (default: the project's, or the default).")
    ] = None,
    pricing_system: Annotated[
        str, typer.Option(help="The s4hana system pricing /v1/quotes (skipped if absent).")
    ] = "s4hana",
    quote_ttl: Annotated[
        float, typer.Option(min=0.1, help="Seconds a priced quote is reused as fresh.")
    ] = 30.0,
    quote_stale: Annotated[
        float, typer.Option(min=0.1, help="Seconds a priced quote may answer when the ERP fails.")
    ] = 900.0,
    quote_cache_size: Annotated[int, typer.Option(min=1, help="Quotes kept (LRU).")] = 10_000,
    erp_timeout: Annotated[
        float, typer.Option(min=0.05, help="Seconds the ERP gets to price a quote.")
    ] = 2.0,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            envvar="CAUSEWAY_METRICS_PORT",
            help="Serve Prometheus metrics at http://127.0.0.1:PORT/metrics (off unless given).",
        ),
    ] = None,
) -> None:
    """Serve the API with uvicorn until interrupted (put TLS in front of it).

    When the project has an s4hana system named `--pricing-system`, the API also serves
    price and availability (`/v1/quotes`) through it.
    """
    import asyncio

    import uvicorn

    from causeway.api.app import create_app
    from causeway.api.pricing import PricingService, PricingSettings
    from causeway.connectors.s4hana.connector import S4Connector
    from causeway.observe.activity import ActivityLog
    from causeway.observe.metrics_endpoint import serve_metrics
    from causeway.runtime.backends.factory import close_backbone, open_backbone
    from causeway.store.engine import default_url, make_engine
    from causeway.store.schema import upgrade

    project, settings = _api(project_file)
    engine = make_engine(url or project.config.database or default_url())
    upgrade(engine)
    if quote_stale < quote_ttl:
        raise typer.BadParameter("must be at least --quote-ttl", param_hint="--quote-stale")
    pricing = None
    system = project.config.systems.get(pricing_system)
    if system is not None and system.type == "s4hana":
        try:
            connector = project.connector(pricing_system)
        except ProjectError as error:
            raise typer.BadParameter(str(error), param_hint="--project") from None
        assert isinstance(connector, S4Connector)
        pricing = PricingService(
            connector,
            PricingSettings(
                ttl=quote_ttl, stale_window=quote_stale, max_entries=quote_cache_size,
                erp_timeout=erp_timeout,
            ),
        )
    backbone = open_backbone(engine, project.runtime())
    try:
        try:
            api = create_app(
                settings, backbone, pricing=pricing, activity=ActivityLog(engine)
            )
        except ApiConfigError as error:
            typer.echo(f"api: {error}", err=True)
            raise typer.Exit(code=2) from None
        config = uvicorn.Config(
            api, host=host, port=port, proxy_headers=True, server_header=False
        )

        if metrics_port is not None:
            serve_metrics("127.0.0.1", metrics_port)

        async def serve() -> None:
            try:
                await uvicorn.Server(config).serve()
            finally:
                if pricing is not None:
                    await pricing.aclose()

        asyncio.run(serve())
    finally:
        close_backbone(backbone)
        engine.dispose()


@app.command("hash-secret")
def hash_secret_command(
    generate: Annotated[
        bool, typer.Option("--generate", help="Make a new random secret and print it first.")
    ] = False,
) -> None:
    """Print the scrypt hash of a client secret for `api.clients.<id>.secret_hash`.

    The secret is read from a prompt (or one line of standard input), never from an argument,
    so it stays out of shell history and process lists.
    """
    if generate:
        secret = new_secret()
        typer.echo(f"secret: {secret}")
        typer.echo(f"hash:   {hash_secret(secret)}")
        return
    if sys.stdin.isatty():
        secret = typer.prompt("client secret", hide_input=True, confirmation_prompt=True)
    else:
        secret = sys.stdin.readline().rstrip("\r\n")
    if len(secret) < MIN_SECRET_LENGTH:
        typer.echo(f"a client secret needs at least {MIN_SECRET_LENGTH} characters", err=True)
        raise typer.Exit(code=2)
    typer.echo(hash_secret(secret))


@app.command("token")
def token_command(
    project_file: ProjectOption,
    client: Annotated[str, typer.Option("--client", help="The client id to issue for.")],
    scope: Annotated[
        list[str] | None, typer.Option(help="Narrow to these scopes (repeatable).")
    ] = None,
) -> None:
    """Print an access token for a configured client, signed with the project's key.

    For operators on the API's host (scripts, smoke tests): holding the signing key already
    means holding every token, so no client secret is asked for.
    """
    from causeway.api import audit
    from causeway.api.tokens import TokenService

    _, settings = _api(project_file)
    configured = settings.clients.get(client)
    if configured is None:
        raise typer.BadParameter(f"no client {client!r} in api.clients", param_hint="--client")
    wanted = set(scope or configured.scopes)
    if not wanted <= set(configured.scopes):
        extra = " ".join(sorted(wanted - set(configured.scopes)))
        raise typer.BadParameter(f"{client} may not ask for {extra}", param_hint="--scope")
    try:
        key = settings.key()
    except ApiConfigError as error:
        typer.echo(f"api: {error}", err=True)
        raise typer.Exit(code=2) from None
    tokens = TokenService(
        key, audience=settings.audience, issuer=settings.issuer, ttl=settings.token_ttl
    )
    issued = tokens.issue(client, wanted)
    audit.record("token.issue", client, "ok", via="cli", scopes=list(issued.scopes))
    typer.echo(issued.access_token)
