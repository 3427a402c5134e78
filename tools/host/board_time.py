# The board's time for its blocking C calls, on the host (helper-138, session 30).
# On the ESP32 some calls hold the whole event loop while the C code runs: the
# buzzer's pulse under way goes on (or its next edge waits), the buttons and the
# watchdog's feeding wait too. On the host the same calls return at once and take no
# virtual time, so the sound timeline, the supervisor's `blocked` rule and the chaos
# invariants never saw them. Installed (the simulator does it by default), each such
# call moves the virtual clock by the board's figure with vtime.sleep: the whole board
# waits, while the world's timers (the radio, the transmitter, the watchdog) fire.
#
#   import board_time; board_time.install()    # after virtual_esp32.install()
#   board_time.enabled = False                  # the host's own speed again (comparisons)
#   board_time.charged                          # {what: [calls, ms]} since install
#   board_time.on_charge = f                    # f(what, ms, detail) at each charge (simboot's
#                                               # event; detail: the file's name for a write)
#
# The fakes call charge() where the board blocks; it does nothing until install():
#   network.WLAN.active()     wifi_start / wifi_mode / wifi_stop
#   vradio Controller.active() ble_start / ble_stop
#   board_tls                 tls_handshake, in the TLS socket's second read or write (below)
#   open() for writing        flash_* at close (the littlefs model below)
# A name lookup that the DNS server leaves unanswered is charged by simboot's _WorldDns
# (vtime.sleep(DNS_TIMEOUT_S), since round 14), not here.
#
# Where the TLS handshake's time goes (MicroPython v1.29 extmod/modtls_mbedtls.c): the
# firmware wraps with do_handshake_on_connect=False on a non-blocking socket
# (forward/http.py), so wrap_socket does no handshake; each later read or write calls
# mbedtls_ssl_read/write, which runs the handshake's steps until the socket would
# block (MBEDTLS_ERR_SSL_WANT_READ/WRITE, EAGAIN to asyncio). The first call sends the
# ClientHello and finds nothing to read; the next one (asyncio calls it when the
# socket is readable) takes the server's flight (Certificate, ServerKeyExchange,
# ServerHelloDone): the chain's verification, the key exchange's signature check and
# the client's ECDHE key pair and shared secret all run in that one call, which then
# sends ClientKeyExchange and Finished. That call is charged here. (A server whose
# flight came in several pieces spreads the work over more calls on the board; a
# handshake refused for the board's clock fails in that call too, board_tls.)
import vtime

# ms per call: the board's figures, with where they come from. `make probe` on a board
# (tools/board_probe.py) measures the TLS handshake (net: tls_handshake_ms, with the
# network's round trips in it) and a queue save (flash: write_atomic_7200_ms).
COSTS_MS = {
    # esp_wifi_start() and the port's wait for the STA/AP start event (ports/esp32/
    # network_wlan.c network_wlan_active: esp_wifi_start, then MICROPY_EVENT_POLL_HOOK
    # until the interface is up): RF initialisation with the partial calibration from
    # NVS. Assumption, not measured: ESP-IDF's RF calibration guide says a full
    # calibration (after an NVS erase) takes about 100 ms more than the partial one
    "wifi_start": 300,
    # esp_wifi_set_mode() on a radio already started (the setup access point opened
    # beside the station, or closed) and the wait for that interface's event. Assumption
    "wifi_mode": 50,
    # esp_wifi_stop() and the wait for the stop event. Assumption
    "wifi_stop": 50,
    # BLE.active(True): nimble_port_init (the controller's init, its RF set-up) and the
    # port's wait for the host to sync (extmod/nimble/modbluetooth_nimble.c
    # mp_bluetooth_init: MICROPY_EVENT_POLL_HOOK until ACTIVE). Assumption, not measured
    "ble_start": 500,
    # BLE.active(False): mp_bluetooth_deinit stops the host task and waits for it. Assumption
    "ble_stop": 100,
    # The TLS client handshake's maths on a 240 MHz ESP32 (mbedtls: certificate chain
    # and ServerKeyExchange signature checks, software ECDHE P-256; the MPI accelerator
    # helps RSA only). An assumption, deliberately on the long side: an ESP32 running
    # MicroPython measured 1.2-1.3 s per whole handshake, network included
    # (micropython/micropython-esp32#131); ESP-IDF users report more than 3 s with a
    # certificate bundle on an S3 (espressif/esp-idf#10523); the firmware allows
    # BLOCK_MS = 3 s for it (forward/wifi.py). `make probe` measures it
    "tls_handshake": 2000,
    # SPI NOR flash (a W25Q32JV-class 4 MB part, as on ESP32 modules), datasheet
    # typicals: 4 KB sector erase tSE 45 ms (max 400 ms), 256-byte page program tPP
    # 0.4 ms (max 3 ms). ESP-IDF erases and programs with the flash cache off and the
    # calling task waiting (CONFIG_SPI_FLASH_YIELD_DURING_ERASE lets other FreeRTOS
    # tasks run meanwhile, not MicroPython's, which made the call)
    "flash_erase_4k": 45,
    "flash_page_256": 0.4,
    # littlefs (MicroPython's esp32 filesystem, 4 KB blocks) writes a file copy-on-write:
    # every 4 KB block of the new contents is a fresh block, erased before it is
    # programmed; closing it commits to the directory's metadata pair (about one page),
    # and so does each rename or remove: fsutil.write_atomic's save has one close, two
    # renames and a remove. Counted here as FLASH_COMMITS pages per file written
    "flash_commit": 0.4,
}
FLASH_COMMITS = 4
# A metadata pair that fills up is compacted: one more block erased and rewritten.
# Assumption: a 4 KB metadata block holds some 30 commits of a few dozen bytes, so a
# compaction every 8 saves of 4 commits each
FLASH_COMPACT_EVERY = 8

enabled = False
charged = {}
on_charge = None
_writes = [0]


def charge(what, ms=None, detail=None):
    """The board blocks in `what` for ms (its figure in COSTS_MS when None): the virtual
    clock moves on that long, firing the world's timers, while nothing of the firmware
    runs. Nothing until install() (or with enabled = False)."""
    if not enabled:
        return 0
    if ms is None:
        ms = COSTS_MS[what]
    if ms <= 0:
        return 0
    c = charged.get(what)
    if c is None:
        c = charged[what] = [0, 0]
    c[0] += 1
    c[1] += ms
    if on_charge is not None:
        on_charge(what, ms, detail)
    vtime.sleep_us(int(ms * 1000 + 0.5))
    return ms


def flash_write_ms(n):
    """The board's time for a file of n bytes written and closed on littlefs."""
    _writes[0] += 1
    blocks = max(1, (n + 4095) // 4096)
    ms = (blocks * COSTS_MS["flash_erase_4k"] + (n + 255) // 256 * COSTS_MS["flash_page_256"]
          + FLASH_COMMITS * COSTS_MS["flash_commit"])
    if _writes[0] % FLASH_COMPACT_EVERY == 0:
        ms += COSTS_MS["flash_erase_4k"] + 16 * COSTS_MS["flash_page_256"]
    return ms


try:
    import io
    _IOBase = io.IOBase
except (ImportError, AttributeError):   # CPython has one too; this is for a port without
    _IOBase = object


class _FlashFile(_IOBase):
    """A file opened for writing: its bytes are counted and the board's time for them is
    charged when it is closed (the firmware's writes are synchronous: write and close
    hold the loop as one block). A stream (json.dump writes to it), a context manager."""

    def __init__(self, f, path):
        self._f = f
        self._path = path
        self._n = 0
        self._open = True

    def write(self, data):
        n = self._f.write(data)
        self._n += len(data) if n is None else n
        return n

    def readinto(self, buf):
        return self._f.readinto(buf)

    def flush(self):
        return self._f.flush()

    def fileno(self):
        return self._f.fileno()

    def close(self):
        self._f.close()
        if self._open:
            self._open = False
            charge("flash_write", flash_write_ms(self._n), "%s %d B" % (self._path, self._n))

    def ioctl(self, req, arg):
        return -22   # EINVAL: no polling a file

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __getattr__(self, name):
        return getattr(self._f, name)


_real_open = None


def _open(path, mode="r", *a, **kw):
    f = _real_open(path, mode, *a, **kw)
    if enabled and ("w" in mode or "a" in mode or "x" in mode or "+" in mode):
        return _FlashFile(f, path)
    return f


class _TlsSocket(_IOBase):
    """The board's TLS socket as far as time goes: its second read or write (the one that
    takes the server's first flight) holds the board for the handshake's maths (when
    timed; a refused certificate's too, harsher than the board, whose verification is a
    part of it). With `refusal` (board_tls): a handshake its verify callback refused
    raises the port's ValueError of the refusal's words, not the callback's error code."""

    def __init__(self, s, timed=True, refusal=None):
        import select
        self._s = s
        self._timed = timed
        self._refusal = refusal
        self._calls = 0
        self._poll = select.poll()
        self._poll.register(s, select.POLLIN)

    def _io(self, f, *a):
        self._calls += 1
        try:
            return f(*a)
        except OSError:
            if self._refusal:
                raise ValueError(self._refusal[0])
            raise
        finally:
            if self._calls == 2 and self._timed:
                charge("tls_handshake")

    def read(self, *a):
        return self._io(self._s.read, *a)

    def readinto(self, *a):
        return self._io(self._s.readinto, *a)

    def readline(self, *a):
        return self._io(self._s.readline, *a)

    def write(self, *a):
        return self._io(self._s.write, *a)

    def ioctl(self, req, arg):
        if req == 3:   # MP_STREAM_POLL: what the TLS socket itself says
            self._poll.modify(self._s, arg)
            r = self._poll.poll(0)
            return r[0][1] if r else 0
        return -22     # anything else (MP_STREAM_GET_FILENO: none, polled through ioctl)

    def setblocking(self, flag):
        return self._s.setblocking(flag)

    def close(self):
        try:
            self._poll.unregister(self._s)
        except Exception:
            pass
        return self._s.close()

    def __getattr__(self, name):
        return getattr(self._s, name)


def tls_socket(s, refusal=None):
    """board_tls.wrap_socket's result: timed while installed; with refusal (a list the
    verify callback fills), its words raised as the port's ValueError."""
    if not enabled and refusal is None:
        return s
    return _TlsSocket(s, enabled, refusal)


def install():
    """Charge the board's time from now on (the fakes' calls, and open() for writing)."""
    global enabled, _real_open
    import builtins
    if _real_open is None:
        _real_open = builtins.open
        builtins.open = _open
    enabled = True


def uninstall():
    global enabled, _real_open
    import builtins
    if _real_open is not None:
        builtins.open = _real_open
        _real_open = None
    enabled = False

