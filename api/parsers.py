"""Request bodies of the API: JSON read by the gateway's hostile-input loader
(interactions.input.load_json), so a body nested thousands of levels deep, too
large, not UTF-8 or not JSON is a 400 problem with a clear sentence, never a
RecursionError (500) or a message about Python's internals."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from interactions.input import load_json
from interactions.routing import InteractionRejected


class CheckedJSONParser(parsers.JSONParser):
    """DRF's JSON parser with the gateway's checks (depth, size, encoding): one
    rule for hostile JSON, called rather than copied."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return load_json(raw)
        except InteractionRejected as exc:
            raise ParseError(str(exc)) from exc
