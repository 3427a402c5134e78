# What stopped a request to a server, in a few words a family can act on: the
# status page's "failing: certificate expired, ..." (forward.nightscout,
# forward.follower, forward.mqtt). Apart from forward.http so that a box with
# MQTT alone does not load the HTTP client for it.
#
#   failure.words(e)   # "certificate not signed by the CA file", "connection refused"

# By the words of a refused certificate: mbedtls' verify text (the port's TLS
# raises it as a ValueError) or CPython's ssl
_CERT_WORDS = (("expired", "certificate expired, or the box's clock is ahead"),
               ("future", "certificate not valid yet, or the box's clock is behind"),
               ("not yet valid", "certificate not valid yet, or the box's clock is behind"),
               ("common name", "certificate made for another host name"),
               ("mismatch", "certificate made for another host name"),
               ("signed", "certificate not signed by the CA file"),
               ("issuer", "certificate not signed by the CA file"))
# lwIP's numbers are Linux's. Tuples, not dicts: frozen, they stay in flash
_ERRNO_WORDS = ((111, "connection refused"), (104, "connection reset"), (103, "connection aborted"),
                (113, "host unreachable"), (110, "timed out"), (116, "timed out"))


def words(e, cut=40):
    """What stopped a request, in a few words for the status page and the log
    (never the request itself: its path and headers carry credentials); a message
    of no known kind cut to `cut` characters."""
    text = str(e)
    low = text.lower()
    if "certificate" in low:
        for key, said in _CERT_WORDS:
            if key in low:
                return said
        return "certificate refused: " + text.strip()[:cut]
    if text.startswith("cannot resolve") or text.startswith("no address for"):
        # forward.names' own (the server's name is on the page beside it, and a long
        # one left no room for the reason within the cut)
        return "the server's name was not found (DNS)"
    code = e.args[0] if e.args else None
    if isinstance(e, OSError) and isinstance(code, int):
        for number, said in _ERRNO_WORDS:
            if number == code:
                return said
        if code < 0 and len(e.args) > 1:   # mbedtls' own error: its code and text
            return "TLS error %d: %s" % (code, str(e.args[1])[:cut])
        return "error %d" % code
    return text[:cut]


# umqtt.simple's MQTTException(code) from the broker's CONNACK (MQTT 3.1.1, 3.2.2.3)
_CONNACK_WORDS = ("refused the protocol version", "refused the client id", "unavailable",
                  "refused the user name or password", "not authorized")   # codes 1..5


def mqtt_words(e):
    """words(e), and the broker's refusal of a connect by its CONNACK code."""
    code = e.args[0] if e.args else None
    if type(e).__name__ == "MQTTException" and isinstance(code, int):
        said = _CONNACK_WORDS[code - 1] if 1 <= code <= len(_CONNACK_WORDS) else "refused"
        return "broker %s (CONNACK %d)" % (said, code)
    return words(e)
