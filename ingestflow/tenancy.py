"""Who a request acts for: an admin (every tenant) or one tenant (and optionally one org)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """An admin (``tenant_code`` None) or a tenant-bound caller; the API builds it from the key."""

    tenant_code: str | None = None
    org_code: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.tenant_code is None

    def __repr__(self) -> str:  # never the key itself
        return "Scope(admin)" if self.is_admin else f"Scope(tenant={self.tenant_code!r}, org={self.org_code!r})"

    def allows(self, tenant_code: str, org_code: str) -> bool:
        """Whether data stamped with (tenant, org) is visible to this caller."""
        if self.is_admin:
            return True
        return tenant_code == self.tenant_code and (self.org_code is None or org_code == self.org_code)


ADMIN = Scope()
