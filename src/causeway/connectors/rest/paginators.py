"""Paging strategies, each a small configuration model that knows how to ask for the next page.

A paginator is chosen by `type` in the YAML. Given the request just made, the response and
the records selected from it, it returns the next request or None when the listing is done.
Paginators hold no state between pages: everything they need travels in the request, so one
resource can be listed by several tasks at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from causeway.connectors.rest.selectors import check_path, find

JsonPath = Annotated[str, AfterValidator(check_path)]


@dataclass(frozen=True)
class PageRequest:
    """One page to fetch: an absolute or base-relative URL and its query parameters."""

    url: str
    params: dict[str, str] = field(default_factory=dict)


class _Strategy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def first(self, params: dict[str, str]) -> dict[str, str]:
        """Query parameters of the first page."""
        return dict(params)


class SinglePage(_Strategy):
    """The endpoint answers everything at once."""

    type: Literal["single_page"] = "single_page"

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, records: list[Any]
    ) -> PageRequest | None:
        """Never a second page."""
        return None


class JsonLink(_Strategy):
    """The body holds the next page's URL, e.g. `links.next`; absent or null ends the listing."""

    type: Literal["json_link"] = "json_link"
    next_url_path: JsonPath = Field(description="JSON path of the next page's URL")

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, records: list[Any]
    ) -> PageRequest | None:
        """The URL found in the body, resolved against the current page's URL."""
        link = find(body, self.next_url_path)
        if not link or not isinstance(link, str):
            return None
        return PageRequest(str(response.request.url.join(link)))


class HeaderLink(_Strategy):
    """An RFC 8288 (formerly 5988) `Link` header with `rel="next"`, as GitHub and others send."""

    type: Literal["header_link"] = "header_link"
    rel: str = Field("next", description="relation of the link to follow")

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, records: list[Any]
    ) -> PageRequest | None:
        """The linked URL, resolved against the current page's URL."""
        link = response.links.get(self.rel, {}).get("url")
        if not link:
            return None
        return PageRequest(str(response.request.url.join(link)))


class Cursor(_Strategy):
    """The body holds an opaque cursor that is sent back as a query parameter."""

    type: Literal["cursor"] = "cursor"
    cursor_path: JsonPath = Field(description="JSON path of the next cursor in the body")
    cursor_param: str = Field(description="query parameter that carries the cursor back")
    stop_after_empty_page: bool = True

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, records: list[Any]
    ) -> PageRequest | None:
        """The same request with the new cursor; no cursor (or an empty page) ends it."""
        cursor = find(body, self.cursor_path)
        if cursor is None or cursor == "" or cursor is False:
            return None
        if self.stop_after_empty_page and not records:
            return None
        if str(cursor) == request.params.get(self.cursor_param):
            return None  # a cursor that does not move would loop forever
        return PageRequest(request.url, {**request.params, self.cursor_param: str(cursor)})


class Offset(_Strategy):
    """`offset` and `limit` parameters; stops on a short page or at a total read from the body."""

    type: Literal["offset"] = "offset"
    limit: int = Field(gt=0, description="records asked per page")
    offset_param: str = "offset"
    limit_param: str = "limit"
    initial_offset: int = Field(0, ge=0)
    total_path: JsonPath | None = Field(None, description="JSON path of the total record count")

    def first(self, params: dict[str, str]) -> dict[str, str]:
        """Start at the initial offset."""
        return {
            **params,
            self.offset_param: str(self.initial_offset),
            self.limit_param: str(self.limit),
        }

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, records: list[Any]
    ) -> PageRequest | None:
        """Advance by the records received, not by the limit: servers may cap the page size."""
        if not records:
            return None
        offset = int(request.params.get(self.offset_param, self.initial_offset)) + len(records)
        total = find(body, self.total_path) if self.total_path else None
        if total is not None:
            if offset >= int(total):
                return None
        elif len(records) < self.limit:
            return None
        return PageRequest(request.url, {**request.params, self.offset_param: str(offset)})


class PageNumber(_Strategy):
    """A page number parameter; stops on an empty or short page or after the total pages."""

    type: Literal["page_number"] = "page_number"
    page_param: str = "page"
    base_page: int = Field(1, ge=0, description="number of the first page (0 or 1)")
    page_size: int | None = Field(None, gt=0, description="records per page, when known")
    size_param: str | None = Field(None, description="query parameter carrying page_size")
    total_path: JsonPath | None = Field(None, description="JSON path of the number of pages")

    def first(self, params: dict[str, str]) -> dict[str, str]:
        """Start at the base page, asking for the page size when a parameter is named."""
        first = {**params, self.page_param: str(self.base_page)}
        if self.size_param is not None and self.page_size is not None:
            first[self.size_param] = str(self.page_size)
        return first

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, records: list[Any]
    ) -> PageRequest | None:
        """The following page, unless this one was the last."""
        if not records:
            return None
        if self.page_size is not None and len(records) < self.page_size:
            return None
        page = int(request.params.get(self.page_param, self.base_page)) + 1
        total = find(body, self.total_path) if self.total_path else None
        if total is not None and page - self.base_page >= int(total):
            return None
        return PageRequest(request.url, {**request.params, self.page_param: str(page)})


Paginator = Annotated[
    SinglePage | JsonLink | HeaderLink | Cursor | Offset | PageNumber,
    Field(discriminator="type"),
]
