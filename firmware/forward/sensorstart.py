# Nightscout's "Sensor Start" treatment, once per sensor session (pure; the
# uploader posts it). Nightscout's sensor-age pill (SAGE, lib/plugins/sensorage.js)
# counts from the newest one; with the box as the family's only uploader nothing
# else sends it (xDrip+ does when it starts a session).
#
#   memo = SensorStart("nsstart.txt", log, "ns.example.org:443/ns")   # the site posted to
#   job = memo.due(session, clock.unix())   # (identifier, start unix) to post, or None
#   ... POST /api/v1/treatments body(job, device) ...; memo.posted(job)
#
# session: (transmitter ID, the session's start on the transmitter's clock, that
# start's Unix time (None: no wall clock yet), seconds left by the last time
# message (dexcom.glucose.session_left_s)), or None: app.wiring reads it off the link.
#
# A repeated post must not make a second treatment on any Nightscout:
# - since 15.0.7 a v1 POST upserts on `identifier`: ours is a digest of the
#   transmitter ID and its own session-start count (no jitter, and the ID, which
#   lets a phone in range talk to the transmitter, is not shown);
# - before (14.x to 15.0.6) on created_at + eventType: created_at is the first
#   estimate of the start, kept (a new time message moves the estimate a second
#   or two), and posted as Nightscout stores it (entries.iso_utc).
# What was posted is kept on flash (one line, written once a session, with the
# site it went to), so a reboot or the next time message posts nothing; a new
# session (a new sensor, a restart, another transmitter) posts its own, and so does
# a new site (a family that moved its Nightscout: its sensor age there at once).
# A session past its generation's length (left <= 0) or starting in the future (a
# wrong clock) is not posted.
import binascii
import hashlib
import json

from app import fsutil
# a start estimated this far from the kept one (the box's wrong clock put right) is
# posted again, with the same identifier
from dexcom.glucose import SAME_SESSION_S as SAME_START_S
from forward.entries import iso_utc


def identifier(tx_id, start_dex):
    """The treatment's stable identifier for one session of one transmitter."""
    d = hashlib.sha1(("%s %d" % (tx_id, start_dex)).encode()).digest()
    return "sensor-start-" + binascii.hexlify(d[:8]).decode()


def body(job, device):
    """The POST body (bytes) for a due() job."""
    return json.dumps({"eventType": "Sensor Start", "created_at": iso_utc(job[1]),
                       "enteredBy": device, "device": device, "identifier": job[0]}).encode()


def _parse(data):
    """(tx_id, start_dex, start unix, site) of a kept line (bytes), else None; a line
    from before the site was kept has site None (posted again once: the server upserts)."""
    try:
        f = data.decode().split()
        return f[0], int(f[1]), int(f[2]), f[3] if len(f) == 4 else None
    except (ValueError, AttributeError, UnicodeError, IndexError):
        return None


class SensorStart:
    def __init__(self, path=None, log=None, site=""):
        self.path = path
        self._log = log
        self.site = site or "-"   # where the uploader posts (host:port and path, no credential)
        self._kept = None   # [tx_id, start_dex, start unix, posted]
        if path:
            # a save cut by the power whose last rename the flash refuses: read where it is
            data = fsutil.read_bytes(fsutil.readable(path)[0])
            k = _parse(data) if data and len(data) < 200 else None
            if k is not None:   # posted, if to this site
                self._kept = [k[0], k[1], k[2], k[3] == self.site]

    def due(self, session, now_unix):
        """The (identifier, start unix) to post for session now, or None."""
        if session is None:
            return None
        tx_id, start, unix, left = session
        if unix is None or left is None or left <= 0 or unix > now_unix:
            return None
        k = self._kept
        if k is None or k[0] != tx_id or k[1] != start or abs(k[2] - unix) >= SAME_START_S:
            k = self._kept = [tx_id, start, unix, False]
        return None if k[3] else (identifier(tx_id, start), k[2])

    def posted(self, job):
        """The server stored job: kept, on flash too (a failed write costs at most
        a repeated post, which the server's upsert makes harmless)."""
        k = self._kept
        if k is None or k[2] != job[1] or identifier(k[0], k[1]) != job[0]:
            return   # another session came meanwhile
        k[3] = True
        if self.path:
            try:
                fsutil.write_atomic(self.path, "%s %d %d %s\n" % (k[0], k[1], k[2], self.site))
            except OSError as e:
                if self._log:
                    self._log("nightscout: sensor start not kept: %s" % e)
