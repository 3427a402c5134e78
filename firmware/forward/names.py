# Host name lookups for the forwarders. getaddrinfo blocks the whole board
# (the alarm task too) for up to the resolver's timeout when the DNS server
# does not answer, so a name is looked up once and its address kept; a
# connection failure marks it for a new look, taken at most every
# RESOLVE_AGAIN_S, and a failed look is not repeated for RESOLVE_FAILED_S
# (the old address is kept when there is one). An IP literal is never looked up.
# The address is kept per name, whatever the port (https and port 80's Date).
# Whichever forwarder asks (Nightscout, MQTT, the follower, NTP: ntptime is
# given the address), after a lookup that blocked the board SLOW_S or
# more no name is looked up for RESOLVE_FAILED_S: each host's own limits added
# up to 3 blocks in 10 minutes, and the supervisor sounds the device alarm
# (reason blocked) at that.
#
#   ip, port = resolve(host, port)   # ip as a string; OSError if none
#   lookup_due(host, port)           # would resolve() ask the DNS server now?
#   forget_address(host, port)       # the connection failed: look again (when allowed)
#   drop_address(host)               # look it up at the next resolve() (NTP: another pool server)
#   shared(ip, host)                 # another name was looked up to ip (a captive portal's DNS)
#   last_stall()                     # when a lookup last blocked the board (or None)
#   dns_stalls()                     # did the last lookup block it (under DEFER_S ago)?
#   pass_over(host)                  # a due lookup not made now: as if it had failed
#   kept(n)                          # [(host, ip)] to keep across a reset (app.persist), newest first
#   restore(pairs)                   # after a reset: looked up again at first use, kept if that fails
import socket

RESOLVE_AGAIN_S = 900   # a leader that moved to a new DHCP address is found within silent_min
RESOLVE_FAILED_S = 300
# lookups are passed over for a sound without a pause for them this long at most: a
# burst late every DEFER_S in a DNS outage (not every RESOLVE_FAILED_S), and a server
# with no address found again within it once the DNS answers
DEFER_S = 900
SLOW_S = 3   # a lookup this long (clock seconds: over 2 s) blocked the board: its DNS server does not answer

_addr_cache = {}
_stalled_s = None  # _now_s() when a lookup last blocked the board
_last_slow = False  # whether the last lookup did


def _now_s():
    import clock  # here, not at the top: the pure helpers also run on CPython
    return clock.ms() // 1000


def is_ipv4(host):
    """True for a dotted IPv4 literal such as 192.168.4.1."""
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def resolve(host, port):
    if is_ipv4(host):
        return (host, port)
    now = _now_s()
    e = _addr_cache.get(host)  # [address or None, when looked up, suspect]
    kept = _kept(e, now)
    if kept is False:
        raise OSError("no address for %s (looked up %d s ago)" % (host, now - e[1]))
    if kept is not None:
        return (kept, port)
    if not lookup_allowed(now):
        if e is not None and e[0] is not None:
            return (e[0], port)
        raise OSError("no address for %s: DNS blocked %d s ago" % (host, now - _stalled_s))
    try:
        a = _ip_of(socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0][-1])
    except (OSError, IndexError, ValueError) as err:
        lookup_took(now)
        if _failed(host, now):  # keep the old address, look again later
            return (e[0], port)
        raise OSError("cannot resolve %s: %s" % (host, err))
    lookup_took(now)
    _addr_cache[host] = [a, now, False]
    return (a, port)


def _failed(host, now):
    """host's lookup failed at now (or was passed over): True when its old address is kept."""
    e = _addr_cache.get(host)
    if e is not None and e[0] is not None:
        e[1], e[2] = now, False
        return True
    _addr_cache[host] = [None, now, False]
    return False


def pass_over(host):
    """A due lookup not made now (a sounding alarm leaves no pause for a DNS
    server that last held the board): the step fails at once (or goes to the
    old address). No DNS server was asked, so the name is due again
    RESOLVE_FAILED_S later whether or not it has an old address (a failed
    lookup of a kept one waits RESOLVE_AGAIN_S): a server that moved while
    the DNS was silent is found that much sooner once lookups are made again."""
    now = _now_s()
    if _failed(host, now):
        _addr_cache[host][1] = now - RESOLVE_AGAIN_S + RESOLVE_FAILED_S


def kept(n=4):
    """The n most recently looked-up addresses, [(host, ip)], for RTC memory:
    a reset during a DNS outage must not cut the box off from a server it can
    still reach (the address is in RAM only otherwise)."""
    got = sorted(((e[1], h, e[0]) for h, e in _addr_cache.items() if e[0] is not None),
                 reverse=True)
    return [(h, a) for _, h, a in got[:n]]


def restore(pairs):
    """Addresses kept across a reset (kept()): each is due for a lookup at its
    first use, as the server may have moved meanwhile, and is kept when that
    lookup fails or is passed over. A name already known here is left alone."""
    now = _now_s()
    for host, ip in pairs:
        if host not in _addr_cache:
            _addr_cache[host] = [ip, now - RESOLVE_AGAIN_S, True]


def dns_stalls():
    """True when the last lookup held the board (its DNS server did not answer),
    under DEFER_S ago: a lookup is passed over no longer than that (the DNS may be
    back, and a server with no address gets no reading until it is looked up)."""
    return _last_slow and _now_s() - _stalled_s < DEFER_S


def lookup_due(host, port):
    """True when resolve(host, port) would ask the DNS server now (and so may
    block the board): a forwarder gives it a pause of its own first."""
    if is_ipv4(host):
        return False
    now = _now_s()
    return _kept(_addr_cache.get(host), now) is None and lookup_allowed(now)


def _kept(e, now):
    """What the cache entry e answers now: an address, False (a failed look
    too recent to repeat) or None (look again)."""
    if e is None:
        return None
    if e[0] is None:
        return False if now - e[1] < RESOLVE_FAILED_S else None
    return e[0] if not e[2] or now - e[1] < RESOLVE_AGAIN_S else None


def lookup_allowed(now=None):
    """False while the last lookup that blocked the board is under RESOLVE_FAILED_S old."""
    now = _now_s() if now is None else now
    return _stalled_s is None or now - _stalled_s >= RESOLVE_FAILED_S


def lookup_took(start_s):
    """A lookup started at start_s just ended: one that blocked the board stops all for a while."""
    global _stalled_s, _last_slow
    now = _now_s()
    _last_slow = now - start_s >= SLOW_S
    if _last_slow:
        _stalled_s = now


def forget_address(host, port):
    """A connection to host failed: look its name up again (when allowed)."""
    e = _addr_cache.get(host)
    if e is not None:
        e[2] = True


def drop_address(host):
    """Forget host's kept address: the next resolve() looks the name up (when
    allowed). NTP after a query that set nothing: a pool name gives, as a rule,
    another server (ntptime's own lookup at every query did)."""
    _addr_cache.pop(host, None)


def shared(ip, host):
    """Whether a name other than host was looked up to the address ip: a captive portal
    answers every name with its own (forward.timesync: its NTP and its Date are one source)."""
    for h, e in _addr_cache.items():
        if h != host and e[0] == ip:
            return True
    return False


def last_stall():
    """_now_s() when a lookup last blocked the board, None if none has."""
    return _stalled_s


def _ip_of(addr):
    """The IP address, as a string, of a getaddrinfo sockaddr (the port is the caller's)."""
    if isinstance(addr, tuple):
        return addr[0]
    # MicroPython on some ports returns a sockaddr bytes object
    ip = socket.sockaddr(addr) if hasattr(socket, "sockaddr") else None
    if ip:
        a = ip[1]
        if isinstance(a, (bytes, bytearray)):
            a = socket.inet_ntop(ip[0], a)
        return a
    raise ValueError("cannot use address %r" % (addr,))
