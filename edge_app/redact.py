"""Hide the credentials in URLs before they are shown: logs, error lines, JSON, the web view, MQTT."""

from __future__ import annotations

import re

# scheme://USERINFO@ : everything between "//" and the last "@" before the host's "/", "?" or "#".
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")
REDACTED = "***"


def redact_url(text: str) -> str:
    """Return `text` with the user name and password of every URL in it replaced by ***.

    rtsp://admin:hunter2@cam/live becomes rtsp://***@cam/live; text without credentials is
    returned unchanged.
    """
    return _USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
