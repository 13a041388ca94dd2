"""Authlib's httpx OAuth 2 client, imported without its nag to switch to httpx2.

The workspace ships httpx; Authlib still supports it. authlib.deprecate installs an "always"
filter on import, so it is imported first and our "ignore" is put in front of it.
"""

import ssl
import warnings

import authlib.deprecate  # noqa: F401
import certifi

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

# Loading the CA bundle costs tens of milliseconds; every outbound client shares this context.
TLS = ssl.create_default_context(cafile=certifi.where())

__all__ = ["TLS", "AsyncOAuth2Client"]
