# forward/failure.py: what the status page says stopped a request to a server, in
# words a family can act on. Runs on CPython and MicroPython.
from forward import failure
from forward.http import HttpError

# mbedtls' verify text as the port's TLS socket raises it (modtls_mbedtls.c: a ValueError
# of mbedtls_x509_crt_verify_info's lines, each after a "\n"), and CPython's ssl's
MBEDTLS_EXPIRED = "\nThe certificate validity has expired\n"
MBEDTLS_FUTURE = "\nThe certificate validity starts in the future\n"
MBEDTLS_NOT_SIGNED = "\nThe certificate is not correctly signed by the trusted CA\n"
MBEDTLS_CN = "\nThe certificate Common Name (CN) does not match with the expected CN\n"


def test_failure_says_which_certificate_check_refused_the_server():
    assert failure.words(ValueError(MBEDTLS_EXPIRED)) == "certificate expired, or the box's clock is ahead"
    assert failure.words(ValueError(MBEDTLS_FUTURE)) == "certificate not valid yet, or the box's clock is behind"
    assert failure.words(ValueError(MBEDTLS_NOT_SIGNED)) == "certificate not signed by the CA file"
    assert failure.words(ValueError(MBEDTLS_CN)) == "certificate made for another host name"
    # several checks failed: the first of the list above that a family can act on
    assert failure.words(ValueError(MBEDTLS_NOT_SIGNED + MBEDTLS_EXPIRED)).startswith("certificate expired")
    # CPython's ssl says it its own way
    assert failure.words(OSError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                                   "unable to get local issuer certificate")) == "certificate not signed by the CA file"
    assert failure.words(OSError(1, "certificate verify failed: certificate has expired")).startswith("certificate expired")
    assert failure.words(OSError(1, "certificate verify failed: Hostname mismatch")) == \
        "certificate made for another host name"
    assert failure.words(ValueError("\nThe certificate has been revoked (is on a CRL)\n")) == \
        "certificate refused: The certificate has been revoked (is on "


def test_failure_names_the_common_socket_errors_and_shows_others_by_number():
    assert [failure.words(OSError(n)) for n in (111, 104, 103, 113, 110, 116)] == [
        "connection refused", "connection reset", "connection aborted", "host unreachable",
        "timed out", "timed out"]
    assert failure.words(OSError(5)) == "error 5"
    assert failure.words(OSError(-5)) == "error -5"              # a negative code alone: no text to add
    assert failure.words(OSError(0, "zero")) == "error 0"        # mbedtls' codes are negative
    assert failure.words(OSError(2, "No such file")) == "error 2"   # an errno with its text: by number
    # mbedtls' own errors come as OSError(code, text) (modtls_mbedtls.c mbedtls_raise_error)
    assert failure.words(OSError(-30592, "SSL - A fatal alert message was received from our peer")) == \
        "TLS error -30592: SSL - A fatal alert message was received"
    # every negative code is mbedtls' own, -1 too (MBEDTLS_ERR_ERROR_GENERIC_ERROR, -0x0001)
    assert failure.words(OSError(-1, "ERROR - Generic error")) == "TLS error -1: ERROR - Generic error"


def test_failure_says_a_name_not_found_whatever_its_length():
    # forward.names' refusals name the host, which the page shows beside: a long one
    # ("my-family-nightscout.herokuapp.com") left no room for the reason within the cut
    for e in (OSError("cannot resolve my-family-nightscout.herokuapp.com: -202"),
              OSError("no address for my-family-nightscout.herokuapp.com (looked up 30 s ago)"),
              OSError("no address for ns.lan: DNS blocked 12 s ago")):
        assert failure.words(e) == "the server's name was not found (DNS)", e


def test_failure_gives_other_messages_cut_to_40_characters():
    assert failure.words(OSError("mqtt: send buffer full")) == "mqtt: send buffer full"
    assert failure.words(HttpError("bad status line")) == "bad status line"
    assert failure.words(ValueError("x" * 60)) == "x" * 40
    assert failure.words(ValueError()) == ""


class MQTTException(Exception):
    """umqtt.simple's, by name (the module is not needed to word it)."""


def test_mqtt_words_name_the_brokers_refusal_by_its_connack_code():
    assert failure.mqtt_words(MQTTException(5)) == "broker not authorized (CONNACK 5)"
    assert failure.mqtt_words(MQTTException(4)) == "broker refused the user name or password (CONNACK 4)"
    assert failure.mqtt_words(MQTTException(3)) == "broker unavailable (CONNACK 3)"
    assert failure.mqtt_words(MQTTException(1)) == "broker refused the protocol version (CONNACK 1)"
    assert failure.mqtt_words(MQTTException(2)) == "broker refused the client id (CONNACK 2)"
    assert failure.mqtt_words(MQTTException(9)) == "broker refused (CONNACK 9)"
    assert failure.mqtt_words(MQTTException(6)) == "broker refused (CONNACK 6)"
    assert failure.mqtt_words(MQTTException(0)) == "broker refused (CONNACK 0)"
    assert failure.mqtt_words(OSError(111)) == "connection refused"
