import numpy as np
import pytest

from rnnkit.metrics import forecasting as fm


def test_point_metrics_against_hand_computed_values():
    y = np.array([100.0, 200.0, 300.0])
    f = np.array([110.0, 180.0, 300.0])
    assert fm.mae(y, f) == pytest.approx(10.0)
    assert fm.rmse(y, f) == pytest.approx(np.sqrt((100 + 400 + 0) / 3))
    assert fm.mape(y, f) == pytest.approx((10 + 10 + 0) / 3)
    # 200*10/210, 200*20/380, 0
    assert fm.smape(y, f) == pytest.approx((2000 / 210 + 4000 / 380) / 3)


def test_mase_uses_the_in_sample_seasonal_naive_scale():
    insample = np.array([1.0, 2.0, 4.0, 3.0, 5.0])  # m=2: |4-1|, |3-2|, |5-4| -> mean 5/3
    assert fm.mase_scale(insample, 2) == pytest.approx(5 / 3)
    assert fm.mase_scale(insample, 1) == pytest.approx((1 + 2 + 1 + 2) / 4)
    y, f = np.array([6.0, 8.0]), np.array([5.0, 10.0])  # MAE 1.5
    assert fm.mase(y, f, insample, 2) == pytest.approx(1.5 / (5 / 3))


def test_mase_averages_per_series_and_owa_is_relative_to_naive2():
    y = np.array([[1.0, 1.0], [2.0, 2.0]])
    f = np.array([[2.0, 2.0], [2.0, 4.0]])
    ins = [np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0, 4.0])]  # scales 1 and 2
    assert fm.mase(y, f, ins, 1) == pytest.approx((1.0 / 1 + 1.0 / 2) / 2)
    assert fm.owa(10.0, 1.0, 20.0, 4.0) == pytest.approx(0.5 * (0.5 + 0.25))


def test_smape_of_zero_over_zero_is_zero_and_coverage_and_pinball():
    assert fm.smape([0.0, 1.0], [0.0, 1.0]) == 0.0
    assert fm.coverage([1, 2, 3, 4], [0, 0, 0, 5], [2, 2, 4, 6]) == 0.75
    # q=0.9, y-f = 1 -> 0.9; y-f = -1 -> 0.1
    assert fm.pinball([1.0, 0.0], [0.0, 1.0], 0.9) == pytest.approx(0.5)


def test_shape_mismatch_and_short_insample_are_named():
    with pytest.raises(ValueError, match=r"same shape, received \(2,\) and \(3,\)"):
        fm.mae([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="MASE needs more than m=4 in-sample points, received 3"):
        fm.mase_scale(np.ones(3), 4)


def test_mase_of_a_constant_series_is_nan_with_a_warning_naming_it():
    y = np.array([[5.0, 5.0], [2.0, 3.0]])
    f = np.array([[5.0, 6.0], [2.0, 2.0]])
    ins = [np.full(6, 5.0), np.arange(6.0)]
    with pytest.warns(UserWarning) as caught:
        value = fm.mase(y, f, ins, 1, ids=["flat", "ramp"])
    assert np.isnan(value)
    assert [str(w.message) for w in caught] == [
        "MASE is undefined for 1 series whose in-sample values repeat exactly every m=1 steps "
        "(a zero scale, e.g. a constant series): 'flat'; reported as NaN"
    ]
    # the defined series are untouched: the same number as before, alone
    assert fm.mase(y[1:], f[1:], ins[1:], 1) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "args, reasons",
    [
        ((1.0, 0.5, 0.0, 0.0), "Naive2's sMAPE is 0; Naive2's MASE is 0"),
        ((1.0, float("nan"), 2.0, float("nan")), "MASE is undefined; Naive2's MASE is undefined"),
        ((1.0, 0.5, 2.0, 0.0), "Naive2's MASE is 0"),
    ],
)
def test_owa_is_nan_with_a_warning_when_undefined_never_a_zero_division(args, reasons):
    with pytest.warns(UserWarning) as caught:
        assert np.isnan(fm.owa(*args))
    assert [str(w.message) for w in caught] == [f"OWA is undefined ({reasons}); reported as NaN"]
