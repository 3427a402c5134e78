# Re-dating readings dated while the box's clock ran ahead, in a time-ordered
# buffer of packed records that begin "<II" (dex_s, unix_s): the LAN API's ring
# (forward.history) and the Nightscout upload queue (forward.queue). Pure.
#
# A reading's wall time is its transmitter time plus the session's activation
# estimate (the wall clock at the session minus the transmitter's clock): the
# readings taken while the box's clock ran ahead (a wrong first NTP answer, kept
# minutes) are dated ahead, and after the clock is put right they stayed the
# "newest" (current.json, /pebble, /api/v2/properties showed a stale value as
# current, followers asking find[date][$gt] for newer ones got none, and the
# unsent ones went to Nightscout dated ahead) until real time passed them. So a
# live reading (the transmitter's newest, dated by the clock now) that finds the
# newest record dated after it first re-dates the records at the end dated more
# than SAME_S later than its transmitter time gives theirs (their session's
# clock further ahead than now's; SAME_S or less is the estimate's jitter): each
# gets the date that gives. The walk from the end stops at the first record
# dated right and not after the reading. Records of a later transmitter time
# (another transmitter's, a follower box's: dex_s = unix_s) are left as dated.
# With nothing dated after it (the usual case: one record's look), nothing is
# re-dated: a clock put back by less than a reading's interval leaves the order
# right, and the records of a transmitter used before one activated earlier (its
# activation later than this one's) are not moved days back.
#
# Nor is a record re-dated by more than the clock stands behind its furthest since
# it was set from unset (clock.back_s(), the callers' max_s) + SAME_S: "dated
# after the live reading" also fits records dated right and a clock now behind.
# A box whose unsent readings were restored from flash, its clock unset at the
# power-on and then set
# hours behind by a wrong first NTP answer, sent them to Nightscout shifted by
# those hours, over the readings already there. A follower box's reading
# (dex_s = unix_s: no transmitter clock, act 0) re-dates nothing: it dated the
# queue's transmitter readings back to 1970.
import struct

SAME_S = 150     # the same transmitter time within this: the same reading (dates jitter)


def redate(buf, n, size, dex_s, unix_s, max_s, marks=None):
    """Before the live reading (dex_s, unix_s) goes in: re-date the first n
    records of buf (size bytes each, oldest first) as above, keeping them in
    time order. max_s: how far the clock stands behind its furthest since it was
    set (clock.back_s()): no record is moved further back than that + SAME_S.
    marks: a bytearray of one byte per record moved with it, or None. True
    when a record was re-dated."""
    if n == 0 or struct.unpack_from("<I", buf, (n - 1) * size + 4)[0] <= unix_s:
        return False         # the usual case: nothing dated after it
    act = unix_s - dex_s     # the transmitter's activation by the clock now
    if act <= 0 or max_s <= 0:
        return False         # a follower's reading (no transmitter clock), or no step back
    most = max_s + SAME_S
    j = n
    while j > 0:
        d, u = struct.unpack_from("<II", buf, (j - 1) * size)
        if u <= unix_s and (d > dex_s or u - d - act <= SAME_S):
            break            # dated right: the ones before it too
        j -= 1
    mv = memoryview(buf)
    mm = None if marks is None else memoryview(marks)
    moved = False
    for i in range(j, n):
        d, u = struct.unpack_from("<II", buf, i * size)
        ahead = u - d - act
        if not (d <= dex_s and SAME_S < ahead <= most):
            continue
        u = act + d
        k = i
        while k > 0 and struct.unpack_from("<I", buf, (k - 1) * size + 4)[0] > u:
            k -= 1
        # every copy first: a MemoryError then leaves the buffer and the marks as they were
        rec = bytes(mv[i * size:(i + 1) * size])
        before = bytes(mv[k * size:i * size])
        if mm is not None:
            turned = bytearray(i - k + 1)      # the marks k..i as they will be
            turned[0] = mm[i]
            turned[1:] = mm[k:i]
        mv[(k + 1) * size:(i + 1) * size] = before
        mv[k * size:(k + 1) * size] = rec
        struct.pack_into("<I", buf, k * size + 4, u)
        if mm is not None:
            mm[k:i + 1] = turned
        moved = True
    return moved
