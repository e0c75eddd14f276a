"""What a GraphQL field needs from the caller's role, checked before its resolver runs."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from graph360.api.context import Context


class PermissionDenied(strawberry.exceptions.StrawberryGraphQLError):
    """Raised for a field the caller's role may not use; the message names the permission."""


def needs(permission: str) -> list[type[BasePermission]]:
    """The permission classes for a field that requires ``permission``."""

    class Needs(BasePermission):
        message = f"permission denied: this needs '{permission}', which your key's role lacks"
        error_class = PermissionDenied

        def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            return info.context.can(permission)

    Needs.__name__ = f"Needs_{permission.replace(':', '_')}"
    return [Needs]


def ctx(info: Info) -> Context:
    return info.context
