"""Behaviour of the peers' re-implemented low alarms (tools/alarmbench/peers.py)."""
from alarmbench import peers, traces


def onsets(peer, values):
    return peers.run(peer, traces.from_values(values))


def hist(values, step=5):
    return [(i * step, float(v)) for i, v in enumerate(values)]


def test_threshold_fires_at_69_not_70_and_urgent_at_54_not_55():
    assert onsets(peers.Threshold(), [100, 70, 70, 55]) == [
        {"t": 15, "type": "low", "priority": "medium", "sgv": 55.0}]
    o = onsets(peers.Threshold(), [100, 69, 54])
    assert [(x["t"], x["type"]) for x in o] == [(5, "low"), (10, "urgent_low")]


def test_onset_printed_once_until_cleared():
    o = onsets(peers.Threshold(), [65, 60, 65, 75, 65])
    assert [(x["t"], x["type"]) for x in o] == [(0, "low"), (20, "low")]


def test_ar2_flat_is_quiet_and_predicts_a_fall():
    ar2 = peers.AR2()
    assert ar2.conditions(hist([120, 120])) == {}
    predicted, loss = ar2.forecast(hist([100, 90]))
    assert predicted == sorted(predicted, reverse=True) and predicted[0] < 90
    assert predicted[3] < 80
    assert loss <= 0.05 and ar2.conditions(hist([100, 90])) == {}      # loss too small: quiet
    assert ar2.conditions(hist([90, 80])) == {"low": "medium"}          # loss in (0.05, 0.10]
    assert ar2.conditions(hist([80, 65])) == {"low": "medium", "urgent_low_soon": "high"}
    assert ar2.conditions(hist([200, 215])) == {"urgent_high": "high"}


def test_ar2_interpolates_the_previous_value_over_a_gap():
    ar2 = peers.AR2()
    # 90 -> 80 over 10 min is the same 5-minute step as 85 -> 80
    assert ar2.forecast([(0, 90.0), (10, 80.0)]) == ar2.forecast([(0, 85.0), (5, 80.0)])
    assert ar2.forecast([(0, 90.0), (9, 80.0)]) == ar2.forecast([(0, 90.0), (5, 80.0)])


def test_ar2_takes_its_two_values_from_nightscouts_buckets():
    # Nightscout 15 (bgnow.js) forecasts from 5-minute buckets reaching 17.5 min
    # back: after three missing readings there is no previous value, so no forecast
    # (the last two entries, however old, were an older Nightscout's rule)
    ar2 = peers.AR2()
    assert ar2.forecast([(0, 120.0), (15, 90.0)]) == ar2.forecast([(0, 100.0), (5, 90.0)])
    assert ar2.forecast([(0, 120.0), (20, 70.0)]) is None
    assert ar2.conditions([(0, 120.0), (20, 70.0)]) == {}
    # LOW (39) is an error to it: no value of its own, and skipped as the previous one
    assert ar2.forecast([(0, 60.0), (5, 39.0)]) is None
    assert ar2.forecast([(0, 70.0), (5, 39.0), (10, 50.0)]) == ar2.forecast([(5, 60.0), (10, 50.0)])


def test_xdrip_low_alert_is_inclusive_at_70_and_smart_alerting_waits_while_rising():
    assert [x["t"] for x in onsets(peers.XDrip(), [71, 71, 71, 71])] == []
    assert [x["t"] for x in onsets(peers.XDrip(), [70, 70, 70, 70])] == [0]
    # below 70 but rising by more than 4 in the last step: not started yet
    xd = peers.XDrip()
    assert xd.conditions(hist([60, 62, 68])) == {}
    assert xd.conditions(hist([60, 62, 68, 68])) == {"low": "medium"}
    assert peers.XDrip().conditions(hist([64, 62, 60])) == {"low": "medium"}


def test_xdrip_forecast_warns_within_40_minutes():
    xd = peers.XDrip()
    assert xd.forecast_minutes(hist([120, 120, 120])) is None
    mins = xd.forecast_minutes(hist([120, 110, 100]))
    assert mins is not None and 10 < mins < 25
    assert xd.forecast_minutes(hist([120, 119, 118])) is None or xd.forecast_minutes(hist([120, 119, 118])) > 40
    assert xd.forecast_minutes(hist([110, 100])) is None                     # needs 3 points
    o = onsets(peers.XDrip(), [130, 120, 110, 100])
    assert [(x["t"], x["type"]) for x in o] == [(10, "low")]


def test_nightguard_extrapolates_almost_linearly_on_epoch_seconds():
    ng = peers.Nightguard()
    pred = ng.prediction(hist([100, 110, 130]))
    # an exact parabola through these points gives 200 at +10 min, a line ~158
    assert 140 < pred[10] < 180
    flat = ng.prediction(hist([120, 120, 120]))
    assert all(abs(v - 120) <= 1 for v in flat)


def test_nightguard_low_prediction_15_minutes_and_bound_80():
    ng = peers.Nightguard()
    assert ng.conditions(hist([100, 95, 90])) == {"low": "medium"}     # 80 in ~10 min
    assert ng.conditions(hist([110, 108, 106])) == {}                  # 80 in ~65 min
    assert ng.conditions(hist([85, 82, 79])) == {"low": "medium"}      # below 80
    assert ng.conditions(hist([70, 72, 78])) == {}                     # smart snooze: rising
    assert ng.conditions(hist([95, 90])) == {}                         # needs 3 readings
