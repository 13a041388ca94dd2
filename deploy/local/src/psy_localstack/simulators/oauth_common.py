"""What the ESIA and VK ID simulators do alike as OAuth servers."""

import time
from urllib.parse import urlencode

from fastapi.responses import JSONResponse, RedirectResponse


def forget_expired(
    tokens: dict[str, tuple[str, float]], codes: dict[str, dict[str, object]]
) -> None:
    """Keeps a long-running simulator's memory flat."""
    now = time.time()
    for token, (_, expires) in list(tokens.items()):
        if expires < now:
            del tokens[token]
    for code, grant in list(codes.items()):
        if float(grant["expires"]) < now:  # type: ignore[arg-type]
            del codes[code]


def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def redirect_with(redirect_uri: str, **params: str) -> RedirectResponse:
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=302)
