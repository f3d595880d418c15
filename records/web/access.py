"""What the signed-in user's CDF access allows: pages disable what CDF would refuse, and views refuse
it before calling CDF (`views.capability_required`)."""

import logging

from ..cdf import CdfError
from .auth import cdf_client

logger = logging.getLogger(__name__)


def cdf_capabilities(request) -> set[str] | None:
    """The user's CDF capabilities in the project ("streamsAcl:READ", ...), asked once per request;
    None when CDF could not say, so that nothing is disabled and CDF's own answers are explained."""
    if not hasattr(request, "_cdf_capabilities"):
        try:
            request._cdf_capabilities = cdf_client(request).capabilities()
        except CdfError as error:
            logger.warning("Could not inspect the CDF token: %s", error)
            request._cdf_capabilities = None
    return request._cdf_capabilities


def missing_capability(request, capability: str) -> str:
    """Why the user's CDF access cannot do this ("" when it can, or when that is unknown)."""
    granted = cdf_capabilities(request)
    if granted is None or capability in granted:
        return ""
    return f"Your CDF access lacks {capability}; ask a CDF administrator to add it to one of your groups."
