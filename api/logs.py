"""Logging for the service and the CLI: every record has phone and ID numbers masked.

Callers' numbers reach logs through messages, arguments, exception texts and, in uvicorn's
access log, query strings (``GET /kb/entries?q=13912345678``). ``MaskingFilter`` masks all of
them with tickets.privacy's helpers. It sits on the handlers, not on loggers, because a logger's
filters never see the records its children propagate to it.

``install()`` puts it on every handler present (creating a stderr handler on the root logger if
there is none); ``uvicorn_log_config()`` is uvicorn's own configuration with the filter on its
handlers, for handlers that uvicorn creates after the app is built.
"""

from __future__ import annotations

import copy
import logging
from typing import Any
from urllib.parse import unquote

from tickets.privacy import mask_text

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# loggers that uvicorn gives handlers of their own (uvicorn.access does not propagate to the root)
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def _mask(value: str, *, url: bool = False) -> str:
    # in a URL, "号码" is "%E5%8F%B7%E7%A0%81": the escape's last hex digit would hide the
    # number's left edge, so the access log shows the decoded path (masked)
    if url and "%" in value:
        value = unquote(value)
    return mask_text(value)


class MaskingFilter(logging.Filter):
    """Masks phone and ID numbers in a record's message, arguments and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        url = record.name == "uvicorn.access"
        if isinstance(record.msg, str):
            record.msg = _mask(record.msg)
        elif _mask(str(record.msg)) != str(record.msg):  # log.warning(exc): the message is an object
            record.msg = _mask(str(record.msg))
        args = record.args
        if isinstance(args, dict):
            record.args = {k: _mask(v, url=url) if isinstance(v, str) else v for k, v in args.items()}
        elif isinstance(args, tuple) and args:
            if any(not isinstance(a, str) and _mask(str(a)) != str(a) for a in args):
                # a number passed as an int (logger.info("%d", 13912345678)) cannot stay an int
                # once masked: format the message here and log the masked text
                record.msg, record.args = _mask(record.getMessage()), None
            else:
                record.args = tuple(_mask(a, url=url) if isinstance(a, str) else a for a in args)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _mask(record.exc_text)
        if record.stack_info:
            record.stack_info = _mask(record.stack_info)
        return True


def _add_filter(handler: logging.Handler) -> None:
    if not any(isinstance(f, MaskingFilter) for f in handler.filters):
        handler.addFilter(MaskingFilter())


def install(level: int = logging.INFO) -> None:
    """Mask every handler's records (idempotent); give the root logger a stderr handler if it has none."""
    root = logging.getLogger()
    if not root.handlers:
        stderr = logging.StreamHandler()
        stderr.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(stderr)
        root.setLevel(level)
    for logger in (root, *(logging.getLogger(name) for name in UVICORN_LOGGERS)):
        for handler in logger.handlers:
            _add_filter(handler)


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with ``MaskingFilter`` on each of its handlers."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["mask"] = {"()": MaskingFilter}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "mask"]
    return config
