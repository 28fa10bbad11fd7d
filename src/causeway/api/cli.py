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
        str,
        typer.Option(
            "--erp-system", "--pricing-system",
            help="The s4hana system behind /v1/quotes and /v1/accounts (skipped if absent).",
        ),
    ] = "s4hana",
    crm_system: Annotated[
        str, typer.Option(help="The salesforce system account 360 reads (skipped if absent).")
    ] = "salesforce",
    quote_ttl: Annotated[
        float, typer.Option(min=0.1, help="Seconds a priced quote is reused as fresh.")
    ] = 30.0,
    quote_stale: Annotated[
        float, typer.Option(min=0.1, help="Seconds a priced quote may answer when the ERP fails.")
    ] = 900.0,
    quote_cache_size: Annotated[int, typer.Option(min=1, help="Quotes kept (LRU).")] = 10_000,
    erp_timeout: Annotated[
        float, typer.Option(min=0.05, help="Seconds the ERP gets for each call.")
    ] = 2.0,
    crm_timeout: Annotated[
        float, typer.Option(min=0.05, help="Seconds the CRM gets for each call.")
    ] = 2.0,
    quote_validation: Annotated[
        bool, typer.Option(help="Serve POST /v1/quotes/validate (with an ERP system).")
    ] = True,
    price_tolerance_percent: Annotated[
        float, typer.Option(min=0, max=100, help="Quoted prices may differ by this % of the ERP's.")
    ] = 0.5,
    price_tolerance_amount: Annotated[
        float, typer.Option(min=0, help="... and by at least this amount (rounding).")
    ] = 0.01,
    accounts: Annotated[
        bool, typer.Option(help="Serve GET /v1/accounts/{key} (with an ERP system).")
    ] = True,
    account_scan_cap: Annotated[
        int, typer.Option(min=1, max=100_000, help="Documents read per account list.")
    ] = 1000,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            envvar="CAUSEWAY_METRICS_PORT",
            help="Serve Prometheus metrics at http://127.0.0.1:PORT/metrics (off unless given).",
        ),
    ] = None,
) -> None:
    """Serve the API with uvicorn until interrupted (put TLS in front of it).

    When the project has an s4hana system named `--erp-system`, the API also serves price
    and availability and quote validation (`/v1/quotes`) and account 360 (`/v1/accounts`)
    through it; account 360 adds the CRM's part when `--crm-system` is a salesforce system.
    """
    import asyncio

    import uvicorn

    from causeway.api.app import create_app
    from causeway.api.pricing import PricingSettings
    from causeway.api.process_services import ProcessOptions, build_process_services
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
    try:
        services = build_process_services(
            project, engine,
            ProcessOptions(
                erp_system=pricing_system, crm_system=crm_system,
                pricing=PricingSettings(
                    ttl=quote_ttl, stale_window=quote_stale, max_entries=quote_cache_size,
                    erp_timeout=erp_timeout,
                ),
                crm_timeout=crm_timeout, quote_validation=quote_validation,
                price_tolerance_percent=price_tolerance_percent,
                price_tolerance_amount=price_tolerance_amount,
                accounts=accounts, account_scan_cap=account_scan_cap,
            ),
        )
    except ProjectError as error:
        raise typer.BadParameter(str(error), param_hint="--project") from None
    backbone = open_backbone(engine, project.runtime())
    try:
        try:
            api = create_app(
                settings, backbone, pricing=services.pricing,
                quote_validator=services.quote_validator, accounts=services.accounts,
                activity=ActivityLog(engine),
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
                await services.aclose()

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
