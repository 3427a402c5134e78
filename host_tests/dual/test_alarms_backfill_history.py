# A gap's backfill reaches the predictor (review helper-196). After a power cut, or the
# transmitter out of reach, the link delivers the session's live reading first and then
# the readings of the gap, oldest first. The engine judges none of those (older than the
# live one: history only), but the filter must take them: it ignored every reading older
# than its newest, so after a power cut during a fall it knew the live reading alone, then
# a levelling, and the urgent low's warning never came (a medium low 20 min later instead).
# Runs on CPython and MicroPython.
from alarms.predict import Predictor
from alarm_steps import MIN, make, feed

# a night's fall to an urgent low (adolescent_003, 5-min readings from 21:40)
FALL = [214, 208, 208, 212, 216, 217, 214, 210, 206, 203, 201, 192, 185, 179, 173, 167, 159,
        149, 140, 131, 123, 115, 106, 94, 83, 75, 73, 73, 73, 70, 66, 62, 58, 55, 54]


def _onsets(eng, start):
    out = []
    for i in range(start, len(FALL)):
        for e in feed(eng, i * 5 * MIN, FALL[i]):
            if e["event"] == "alarm_onset":
                out.append((i, e["type"]))
    return out


def test_the_backfill_after_a_power_cut_gives_the_urgent_low_warning_an_unbroken_night_gives():
    whole = _onsets(make(), 0)
    assert whole[0] == (26, "urgent_low_soon"), whole
    for cut in (23, 24, 25):
        eng = make()               # a power cut: RTC memory, and the filter, lost
        t = cut * 5 * MIN
        feed(eng, t, FALL[cut])    # the first session's live reading, then its backfill
        for j in range(cut):
            feed(eng, t + 2, FALL[j], age_s=t + 2 - j * 5 * MIN)
        assert _onsets(eng, cut + 1)[0] == (26, "urgent_low_soon"), cut


def test_a_reading_between_the_last_two_is_run_through_the_filter_again():
    # the filter fed 0, 5, (gap), 25 min, then 10, 15, 20 comes out as if fed in order
    inorder, late = Predictor(), Predictor()
    for m, v in ((0, 150), (5, 140), (10, 130), (15, 120), (20, 110), (25, 100)):
        inorder.update(m * MIN, v)
    for m, v in ((0, 150), (5, 140), (25, 100)):
        late.update(m * MIN, v)
    for m, v in ((10, 130), (15, 120), (20, 110)):
        assert late.update(m * MIN, v)
    assert late.t_s == 25 * MIN and late.n_read == 6
    assert late.save() == inorder.save()
    # a reading at or before the one before the newest, or at the newest, is not taken
    assert not late.update(20 * MIN, 110) and not late.update(25 * MIN, 99)
    assert not late.update(2 * MIN, 200) and late.save() == inorder.save()
    # a restored filter (RTC memory) does not know what came before its newest reading
    back = Predictor()
    back.restore(inorder.t_s, inorder.save())
    assert not back.update(22 * MIN, 105) and back.save() == inorder.save()


# session 63 (helper-317): the predictor's rules the mutation run found no test holding
def _primed_predictor():
    p = Predictor()
    for t, v in ((0, 120), (300, 112), (600, 104)):
        p.update(t, v)
    return p


def _out_of_memory_once(p):
    def half_done(z):
        p.g += 1.0
        del p._correct   # (the next reading is taken as ever)
        raise MemoryError("memory allocation failed")
    p._correct = half_done


def test_a_reading_lost_to_memory_leaves_the_backfill_between_the_last_two_still_taken():
    # all or nothing: the reading that ran out of memory must not make the filter forget
    # the state before its newest reading, or the gap's backfill that follows is ignored
    ref, p = _primed_predictor(), _primed_predictor()
    _out_of_memory_once(p)
    try:
        p.update(900, 96)
        assert False, "the injected MemoryError did not happen"
    except MemoryError:
        pass
    assert p.update(450, 108) is True and ref.update(450, 108) is True
    assert (p.t_s, p.save()) == (ref.t_s, ref.save())


def test_a_backfill_lost_to_memory_leaves_the_filter_as_it_was_and_says_so():
    ref, p = _primed_predictor(), _primed_predictor()
    _out_of_memory_once(p)
    try:
        p.update(450, 108)   # between the last two: run through again (_insert)
        assert False, "the injected MemoryError did not happen"
    except MemoryError:
        pass
    assert (p.t_s, p.save()) == (ref.t_s, ref.save())
    # the same backfill taken once memory is back, as if nothing had happened
    assert p.update(450, 108) is True and ref.update(450, 108) is True
    assert (p.t_s, p.save()) == (ref.t_s, ref.save())


def test_a_restored_filter_forgets_what_came_before_it():
    # (persist.restore) a reading between two of the old state would rewind the filter to it,
    # the restored state lost
    p = _primed_predictor()
    state = _primed_predictor().save()
    p.restore(600, state)
    assert p.update(450, 60) is False
    assert (p.t_s, p.save()) == (600, state)


def test_the_predictions_sd_is_the_root_of_its_variance_and_zero_for_a_negative_one():
    # (a variance at rounding's mercy, or a restored state whose covariance does not fit,
    # must not raise: every reading's alarm judging calls predict)
    p = Predictor()
    for p00, sd in ((0.25, 0.5), (4.0, 2.0), (-0.25, 0.0), (-4.0, 0.0)):
        p.restore(0, (100.0, 0.0, 0.0, p00, 0.0, 0.0, 0.0, 0.0, 0.0, 5))
        assert p.predict(0) == (100.0, sd), (p00, p.predict(0))
