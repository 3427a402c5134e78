# The board's TLS, as far as the clock goes. On the ESP32, mbedtls checks a
# certificate's validity dates against the board's own clock
# (CONFIG_MBEDTLS_HAVE_TIME_DATE=y in ports/esp32/boards/sdkconfig.base), so a
# box whose clock was never set (it counts from 2000) fails every verified
# handshake: "certificate not yet valid". The unix port's mbedtls reads the
# host's clock instead, so under the virtual clock such a box still verified
# certificates and the host could not see it.
#
#   import board_tls; board_tls.install()   # before the firmware imports tls
#
# The model: with CERT_REQUIRED, a handshake while the board's wall clock reads
# before VALID_FROM fails with the exception the port raises for a verify failure
# (extmod/modtls_mbedtls.c: ValueError, mbedtls_x509_crt_verify_info's text).
# Kinder than the board in three ways: any certificate in use today was issued
# after that date, but the real check reads the certificate's own notBefore (a
# clock that is valid but behind a new certificate fails there, not here); the
# board fails at the handshake's first read or write, after the server's chain
# came and was checked (the loop held meanwhile), here at once in wrap_socket.
import sys
import time

import tls as _tls

import board_time

VALID_FROM = 1577836800   # 2020-01-01 (Unix s)
NOT_YET_VALID = "The certificate validity starts in the future\n"   # mbedtls' verify info
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
        now = board_unix()
        if self.verify_mode == CERT_REQUIRED and now < VALID_FROM:
            refused.append((now, kw.get("server_hostname")))
            sock.close()
            raise ValueError(NOT_YET_VALID)
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
        return board_time.tls_socket(self._ctx.wrap_socket(sock, *a, **kw))


def install():
    sys.modules["tls"] = sys.modules[__name__]
