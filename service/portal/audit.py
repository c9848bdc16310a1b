"""Who did what in the portal: one log record per action that changes something.

The request log names the route and the API key (``caller_key_id``); a portal request
carries a session cookie, not a key, so this record says who acted through the session
(role, subject, key id) and on what. JSON logs (``telemetry``) keep the extra fields.
"""

import logging
from typing import Any

from service.auth.caller import Caller

log = logging.getLogger("ledger.portal")


def action(caller: Caller, what: str, **about: Any) -> None:
    log.info(
        "portal %s",
        what,
        extra={
            "action": what,
            "actor_role": caller.role.value,
            "actor_subject": caller.subject,
            "actor_key_id": caller.key_id,
            **about,
        },
    )
