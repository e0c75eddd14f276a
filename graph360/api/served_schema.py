"""The GraphQL schema as served: parse and validation caches, limits, errors masked and logged."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from graph360.api.limits import cost_limit
from graph360.api.pagination import DEFAULT_PAGE, MAX_PAGE
from graph360.api.permissions import PermissionDenied
from graph360.api.scalars import WHEN_SCALAR, When
from graph360.api.schema import Mutation, Query
from graph360.api.settings import ApiSettings
from graph360.errors import Graph360Error

log = logging.getLogger(__name__)

MASKED = "Unexpected error: the server logged it."


def build_schema(settings: ApiSettings | None = None) -> strawberry.Schema:
    """Query and Mutation with the server's limits, shared caches and error masking."""
    settings = settings or ApiSettings()
    # The same documents come back again and again (an agent's screen sends one card query):
    # each is parsed and validated once, in caches shared by every request. Extensions keep
    # per-request state, so each request gets fresh ones around the shared caches; the limits
    # are validation rules made once, so the cache's key (document, rules) repeats, and they
    # still apply to every new document.
    parse_cache = ParserCache(maxsize=256).cached_parse_document
    validate_cache = ValidationCache(maxsize=256).cached_validate_document
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        cost_limit(settings.max_cost, MAX_PAGE, DEFAULT_PAGE),
    ]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)

    def parser() -> ParserCache:
        extension = ParserCache()
        extension.cached_parse_document = parse_cache
        return extension

    def validator() -> ValidationCache:
        extension = ValidationCache()
        extension.cached_validate_document = validate_cache
        return extension

    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),  # a parser option
        parser,
        lambda: AddValidationRules(rules),
        validator,
    ]
    if not settings.debug:
        extensions.append(lambda: MaskErrors(should_mask_error=_should_mask, error_message=MASKED))
    return Graph360Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(
            disable_field_suggestions=not settings.introspection,
            scalar_map={When: WHEN_SCALAR},
        ),
    )


def _should_mask(error: GraphQLError) -> bool:
    """Request errors (syntax, validation, permissions) and our own refusals are shown; any
    other failure is logged and masked, so no stack trace or Cypher text reaches a caller."""
    return not _is_public(error)


def _is_public(error: GraphQLError) -> bool:
    original = error.original_error
    return (
        original is None
        or not error.path  # a request error (syntax, validation, variable coercion)
        or isinstance(original, GraphQLError)  # an argument coerced at execution (null to Int!)
        or isinstance(error, PermissionDenied)
        or isinstance(original, PermissionDenied)
        or (isinstance(original, Graph360Error) and original.public)
    )


class Graph360Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Refusals are the caller's business (logged briefly); anything else is logged with
        its traceback for whoever runs the server."""
        for error in errors:
            if _is_public(error):
                log.info("refused: %s", error.message)
            else:
                log.error("error at %s", error.path, exc_info=error.original_error)
