# The board's TLS, as far as the clock goes. On the ESP32, mbedtls checks each
# certificate's validity dates against the board's own clock
# (CONFIG_MBEDTLS_HAVE_TIME_DATE=y in ports/esp32/boards/sdkconfig.base), so a
# box whose clock was never set (it counts from 2000) fails every verified
# handshake ("certificate not yet valid"), and so does one NTP set days off a
# certificate's dates, or a server whose certificate expired. The unix port's
# mbedtls reads the host's clock instead, so under the virtual clock such a box
# still verified certificates and the host could not see it.
#
#   import board_tls; board_tls.install()   # before the firmware imports tls
#
# The model: with CERT_REQUIRED, the context's verify_callback (the port's own hook,
# called by mbedtls for each certificate of the chain, the trusted CA first, during
# the handshake) reads the certificate's notBefore and notAfter and compares them
# with the board's wall clock as mbedtls does (x509_crt_verify_chain: now past
# notAfter, expired; before notBefore, not yet valid). A refusal makes the handshake
# fail there, at its second read or write (the server's chain came), and the TLS
# socket then raises what the port raises for a verify failure
# (extmod/modtls_mbedtls.c: a ValueError of mbedtls_x509_crt_verify_info's lines).
# Kinder than the board: a chain that fails both the dates and another check (a CA
# that did not sign it) is worded for the dates alone (the callback cannot add to
# mbedtls' flags). One context verifies one handshake at a time (the firmware's
# forwarders use theirs one request after another): the callback is the context's.
import sys
import time

import tls as _tls

import board_time
from civil import days_from_civil   # the firmware's calendar (firmware/civil.py)

EXPIRED = "\nThe certificate validity has expired\n"          # mbedtls' verify info, as the
NOT_YET_VALID = "\nThe certificate validity starts in the future\n"   # port words it
_DATE_REFUSED = -0x2400   # MBEDTLS_ERR_X509_INVALID_DATE: the callback's refusal, the handshake's error
_EPOCH_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0

PROTOCOL_TLS_CLIENT = _tls.PROTOCOL_TLS_CLIENT
PROTOCOL_TLS_SERVER = _tls.PROTOCOL_TLS_SERVER
CERT_NONE = _tls.CERT_NONE
CERT_OPTIONAL = _tls.CERT_OPTIONAL
CERT_REQUIRED = _tls.CERT_REQUIRED
MBEDTLS_VERSION = getattr(_tls, "MBEDTLS_VERSION", "")
refused = []   # (board unix time, server_hostname) of each handshake refused for the clock


def board_unix():
    return time.time() + _EPOCH_OFFSET


class SSLContext:
    def __init__(self, protocol):
        self._ctx = _tls.SSLContext(protocol)
        self.verify_mode = self._ctx.verify_mode

    def load_verify_locations(self, *a, **kw):
        return self._ctx.load_verify_locations(*a, **kw)

    def load_cert_chain(self, *a, **kw):
        return self._ctx.load_cert_chain(*a, **kw)

    def wrap_socket(self, sock, *a, **kw):
        self._ctx.verify_mode = self.verify_mode
        said = []   # the verify text of a refusal, for the socket to raise
        if self.verify_mode == CERT_REQUIRED:
            host = kw.get("server_hostname")

            def check_dates(der, depth):
                now = board_unix()
                text = date_refusal(der, now)
                if text is None:
                    return 0
                said.append(text)
                refused.append((now, host))
                return _DATE_REFUSED
            self._ctx.verify_callback = check_dates
        # Over the board's send queue (board_socket) when the socket has one, as on the
        # board: mbedtls writes its records into lwIP's queue, and a record that does
        # not fit comes back as MBEDTLS_ERR_SSL_WANT_WRITE (EAGAIN), to be written
        # again whole (extmod/modtls_mbedtls.c, the port's own code here too). asyncio
        # polls the TLS object, which the host's poll reaches through its ioctl only
        # (about 1 ms a call, in real time): a connection held open for hours would
        # slow a simulated day, but the firmware's TLS requests last seconds (a server
        # that never answers: about 8 s of real time a simulated hour). Harsher than
        # the board: the unix port's mbedtls allocates its session (tens of KB) from
        # MicroPython's heap (m_tracked_calloc, MICROPY_MBEDTLS_CONFIG_BARE_METAL), the
        # ESP32's from ESP-IDF's own heap, which the host does not model
        # timed: its handshake's maths hold the board (board_time, when installed)
        return board_time.tls_socket(self._ctx.wrap_socket(sock, *a, **kw),
                                     said if self.verify_mode == CERT_REQUIRED else None)


def date_refusal(der, now):
    """mbedtls' verify text for a DER certificate at Unix time now, or None when its
    dates hold it (x509_crt_verify_chain: now past notAfter, or before notBefore)."""
    not_before, not_after = validity(der)
    if now > not_after:
        return EXPIRED
    if now < not_before:
        return NOT_YET_VALID
    return None


def validity(der):
    """(notBefore, notAfter) of a DER certificate, Unix seconds (RFC 5280 4.1)."""
    _, i, _ = _tlv(der, 0)            # Certificate: into it
    _, i, _ = _tlv(der, i)            # tbsCertificate: into it
    if der[i] == 0xA0:                # [0] version
        i = _tlv(der, i)[2]
    for _ in range(3):                # serialNumber, signature, issuer
        i = _tlv(der, i)[2]
    _, i, _ = _tlv(der, i)            # validity: into it
    t1, a, b = _tlv(der, i)
    t2, c, d = _tlv(der, b)
    return _time(t1, bytes(der[a:b])), _time(t2, bytes(der[c:d]))


def _tlv(der, i):
    """(tag, start of its content, end of its content) of the DER element at i."""
    n = der[i + 1]
    start = i + 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(bytes(der[start:start + k]), "big")
        start += k
    return der[i], start, start + n


def _time(tag, v):
    """UTCTime (0x17, YYMMDDHHMMSSZ, 50..99 the 1900s) or GeneralizedTime (0x18) as Unix s."""
    s = v.decode()
    if tag == 0x17:
        y = int(s[:2])
        y += 1900 if y >= 50 else 2000
        s = s[2:]
    else:
        y = int(s[:4])
        s = s[4:]
    mo, d, h, mi, sec = (int(s[k:k + 2]) for k in range(0, 10, 2))
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec


def install():
    sys.modules["tls"] = sys.modules[__name__]
