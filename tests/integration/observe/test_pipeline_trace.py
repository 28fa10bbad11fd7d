"""One change through the real pipeline against the sandboxes is ONE trace, free of data.

A CRM account is renamed; the trace of that change holds the sync step, the command it
caused, and the HTTP write to the ERP, each the child of the one before. No span, and no log
line, carries a seeded company name or email.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from sqlalchemy import select

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.mapping.loader import shipped_mappings
from causeway.observe.logging import configure_logging
from causeway.sandbox.seed import SeedConfig
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from causeway.store.tables.sync import xref
from causeway.sync.config import build_routes, default_sync_config
from causeway.sync.initial_load import initial_match
from causeway.sync.messages import CHANGES_TOPIC, commands_topic
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from tests.support.sandboxes import sandboxes
from tests.support.tracing import by_name, parent_of, recording

pytestmark = pytest.mark.slow

NEW_NAME = "Renamed Harbour Traders Ltd"
CHANGE_SPAN = f"process {CHANGES_TOPIC}"
COMMAND_SPAN = f"process {commands_topic('s4hana')}"
OUR_SCOPES = {"causeway", "opentelemetry.instrumentation.httpx"}


@dataclass(frozen=True)
class Run:
    """What the pipeline left behind: spans of the initial sync and of the edit, and logs."""

    initial: tuple[ReadableSpan, ...]
    edit: tuple[ReadableSpan, ...]
    logs: str
    account_id: str
    erp_url: str
    personal: tuple[str, ...]
    """Seeded company names and contact emails and names, and the new name."""


async def _scenario(folder: Path, logs: io.StringIO) -> Run:
    database = make_engine(f"sqlite:///{folder / 'causeway.sqlite'}")
    upgrade(database)
    catalog = shipped_mappings()
    config = default_sync_config()
    config.entities.pop("product")
    seed = SeedConfig(accounts=3, erp_customers=2, products=0)
    with recording() as memory, sandboxes(folder, seed) as boxes:
        await asyncio.sleep(1.1)  # partner stamps have whole seconds: let the seed settle
        salesforce, s4, clerk = boxes.salesforce(), boxes.s4(), boxes.salesforce()
        try:
            await initial_match(
                database,
                (salesforce, catalog.get("salesforce", "Account", "customer")),
                (s4, catalog.get("s4hana", "A_BusinessPartner", "customer")),
            )
            pipeline = SyncPipeline(
                database,
                build_routes(config, catalog),
                {"salesforce": salesforce, "s4hana": s4},
                PipelineSettings(idle_seconds=0.05),
            )
            await pipeline.run_until_quiet(timeout_s=120)
            initial = memory.get_finished_spans()
            with database.connect() as connection:
                account_id = connection.execute(
                    select(xref.c.system_id)
                    .where(xref.c.system == "salesforce", xref.c.entity == "customer")
                    .order_by(xref.c.system_id)
                    .limit(1)
                ).scalar_one()
            [renamed] = await clerk.write(
                [
                    WriteRequest(
                        "Account",
                        WriteOperation.UPDATE,
                        WriteKey(system_id=account_id),
                        {"Name": NEW_NAME},
                        "rename-1",
                    )
                ]
            )
            assert renamed.ok, renamed.error
            memory.clear()
            await asyncio.sleep(1.1)
            await pipeline.run_until_quiet(timeout_s=120)
            edit = memory.get_finished_spans()
        finally:
            for connector in (salesforce, s4, clerk):
                await connector.aclose()
            database.dispose()
        universe = boxes.universe
        personal = [company.name for company in universe.crm_accounts + universe.erp_customers]
        for contact in universe.crm_contacts:
            personal += [contact.email, f"{contact.first_name} {contact.last_name}"]
        return Run(initial, edit, logs.getvalue(), account_id, boxes.erp_url, (*personal, NEW_NAME))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Sync the seed, then rename one account and sync again, recording spans and logs."""
    saved = structlog.get_config()
    logs = io.StringIO()
    configure_logging("DEBUG", json_lines=True)
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(logs), cache_logger_on_first_use=False
    )
    try:
        yield asyncio.run(_scenario(tmp_path_factory.mktemp("pipeline-trace"), logs))
    finally:
        structlog.configure(**saved)


def _attribute(span: ReadableSpan, name: str) -> Any:
    assert span.attributes is not None
    return span.attributes.get(name)


def _change_of_the_rename(run: Run) -> ReadableSpan:
    key = f"customer/salesforce:Account:{run.account_id}"
    [change] = [
        span
        for span in by_name(run.edit, CHANGE_SPAN)
        if _attribute(span, "causeway.partition_key") == key
    ]
    return change


def _trace_of(run: Run, span: ReadableSpan) -> list[ReadableSpan]:
    assert span.context is not None
    trace_id = span.context.trace_id
    return [
        item for item in run.edit if item.context is not None and item.context.trace_id == trace_id
    ]


def test_one_change_is_one_trace_from_sync_step_to_erp_write(run: Run) -> None:
    change = _change_of_the_rename(run)
    assert change.context is not None
    assert _attribute(change, "causeway.outcome") == "done"
    assert _attribute(change, "causeway.source") == "salesforce"
    in_trace = _trace_of(run, change)

    [command] = [span for span in in_trace if span.name == COMMAND_SPAN]
    assert command.context is not None
    assert parent_of(command) == change.context.span_id
    assert command.kind is SpanKind.CONSUMER
    assert _attribute(command, "causeway.envelope.kind") == "command"
    assert _attribute(command, "causeway.target") == "s4hana"
    assert _attribute(command, "causeway.outcome") == "done"

    writes = [
        span
        for span in in_trace
        if span.kind is SpanKind.CLIENT and parent_of(span) == command.context.span_id
    ]
    assert writes, [span.name for span in in_trace]
    for span in writes:
        url = str(_attribute(span, "http.url") or _attribute(span, "url.full"))
        assert url.startswith(run.erp_url)
        status = _attribute(span, "http.status_code") or _attribute(
            span, "http.response.status_code"
        )
        assert 200 <= int(status) < 300
    assert any(span.name in {"PATCH", "PUT", "POST", "MERGE"} for span in writes)


def test_the_poll_of_the_page_opens_the_trace(run: Run) -> None:
    change = _change_of_the_rename(run)
    [poll] = [span for span in _trace_of(run, change) if span.name == "sync.poll"]
    assert poll.context is not None
    assert parent_of(change) == poll.context.span_id
    assert poll.parent is None
    assert _attribute(poll, "causeway.system") == "salesforce"
    assert _attribute(poll, "causeway.object") == "Account"
    assert _attribute(poll, "causeway.records") >= 1
    reads = [span for span in _trace_of(run, change) if parent_of(span) == poll.context.span_id]
    assert any(span.kind is SpanKind.CLIENT for span in reads)


def _shown(span: ReadableSpan) -> list[str]:
    """Every text a span exports besides its resource."""
    texts = [span.name, span.status.description or ""]
    for attributes in (
        span.attributes,
        *(event.attributes for event in span.events),
        *(link.attributes for link in span.links),
    ):
        texts += [str(value) for value in (attributes or {}).values()]
    return texts


def test_no_span_carries_a_seeded_name_or_email(run: Run) -> None:
    # Causeway's spans and its HTTP client spans; the sandboxes' own server spans stand for
    # systems we do not own and are left out.
    spans = tuple(
        span
        for span in run.initial + run.edit
        if span.instrumentation_scope is not None and span.instrumentation_scope.name in OUR_SCOPES
    )
    assert len(by_name(spans, COMMAND_SPAN)) >= 2  # the initial sync wrote to the ERP too
    assert any(span.kind is SpanKind.CLIENT for span in spans)
    texts = [text for span in spans for text in _shown(span)]
    for value in run.personal:
        assert all(value not in text for text in texts), value


def test_no_log_line_carries_a_seeded_name_or_email(run: Run) -> None:
    lines = [json.loads(line) for line in run.logs.splitlines() if line.strip()]
    assert lines
    for value in run.personal:
        assert value not in run.logs, value
    # Lines logged while an envelope was handled name its trace.
    assert any("trace_id" in line for line in lines)
