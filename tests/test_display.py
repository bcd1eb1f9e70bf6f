"""kapre_like.display against librosa.display: the same data gives the same mesh, scales, ticks and labels.

Pictures are drawn on ``matplotlib.figure.Figure()`` objects (no pyplot state, no backend switch).
"""

import importlib
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
librosa_display = pytest.importorskip("librosa.display")

import librosa  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from kapre_like import display  # noqa: E402

RNG = np.random.default_rng(36)


def _axis_state(axes, which):
    """What a reader sees of one axis: scale (and where it puts a few values), label, and (position, text) of every
    tick."""
    axes.figure.draw_without_rendering()
    axis = axes.xaxis if which == "x" else axes.yaxis
    ticks = [(round(float(t.get_position()[0 if which == "x" else 1]), 6), t.get_text())
             for minor in (False, True) for t in axis.get_ticklabels(minor=minor)]
    placed = tuple(np.round(axis.get_transform().transform(np.array([20.0, 200.0, 2000.0, 20000.0])), 9))
    return (axis.get_scale(), placed), axis.get_label_text(), ticks


def _draw_both(data, ours, theirs):
    """Draw ``data`` (time, frequency) with our specshow and its transpose with librosa's; return both Axes and
    meshes."""
    our_axes, their_axes = Figure().add_subplot(), Figure().add_subplot()
    our_mesh = display.specshow(data, ax=our_axes, **ours)
    their_mesh = librosa_display.specshow(data.T, ax=their_axes, **theirs)
    return our_axes, their_axes, our_mesh, their_mesh


FREQUENCY_CASES = [  # (y_axis, bins, our extra arguments, librosa's y_axis and extra arguments)
    ("linear", 1025, {}, "linear", {}),
    ("hz", 257, {"sample_rate": 16000}, "hz", {"sr": 16000}),
    ("linear", 257, {"n_fft": 513}, "linear", {"n_fft": 513}),
    ("log", 1025, {}, "log", {}),
    ("mel", 128, {}, "mel", {}),
    ("mel", 64, {"sample_rate": 16000, "fmin": 50.0, "fmax": 7600.0}, "mel",
     {"sr": 16000, "fmin": 50.0, "fmax": 7600.0}),
    ("mel", 40, {"htk": True, "fmax": 8000.0}, "mel", {"htk": True, "fmax": 8000.0}),
    ("cqt_hz", 84, {}, "cqt_hz", {}),
    ("cqt_note", 84, {}, "cqt_note", {}),
    ("cqt_note", 144, {"fmin": 55.0, "bins_per_octave": 36}, "cqt_note", {"fmin": 55.0, "bins_per_octave": 36}),
    ("cqt_note", 12, {"fmin": 220.0}, "cqt_note", {"fmin": 220.0}),  # one octave: note names with cents
    ("cqt_hz", 18, {"fmin": 220.0}, "cqt_hz", {"fmin": 220.0}),  # under two octaves: minor ticks labelled
    ("chroma", 12, {}, "chroma", {}),
    ("chroma", 36, {"bins_per_octave": 36}, "chroma", {"bins_per_octave": 36}),
    ("mfcc", 20, {}, "frames", {}),
    ("frames", 20, {}, "frames", {}),
    (None, 20, {}, None, {}),
]


@pytest.mark.parametrize("y_axis, bins, ours, their_y_axis, theirs", FREQUENCY_CASES,
                         ids=[f"{case[0]}-{case[1]}" for case in FREQUENCY_CASES])
def test_frequency_axes_agree_with_librosa(y_axis, bins, ours, their_y_axis, theirs):
    data = RNG.uniform(-80.0, 0.0, size=(173, bins))  # 4 s at 22050 Hz, hop 512
    our_axes, their_axes, our_mesh, their_mesh = _draw_both(
        data, {"x_axis": "time", "y_axis": y_axis, **ours}, {"x_axis": "time", "y_axis": their_y_axis, **theirs})
    np.testing.assert_allclose(our_mesh.get_coordinates(), their_mesh.get_coordinates(), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(np.asarray(our_mesh.get_array()), np.asarray(their_mesh.get_array()))
    for which in ("x", "y"):
        our_scale, our_label, our_ticks = _axis_state(our_axes, which)
        their_scale, their_label, their_ticks = _axis_state(their_axes, which)
        if y_axis == "mfcc" and which == "y":  # librosa has no MFCC kind: its 'frames' coordinates, whole ticks
            assert our_label == "MFCC" and our_scale == their_scale
            assert "0" in [text for _, text in our_ticks]  # and "2.5" in librosa's
            assert all(position == int(position) and "." not in text for position, text in our_ticks)
        else:
            assert (our_scale, our_label, our_ticks) == (their_scale, their_label, their_ticks), which
    assert any(text for _, text in _axis_state(our_axes, "x")[2])  # labelled: the comparison saw real ticks


@pytest.mark.parametrize("frames, hop_length, x_axis", [
    (30, 256, "time"),  # 0.35 s: milliseconds to 3 decimals
    (173, 512, "time"),  # 4 s: seconds
    (5000, 512, "time"),  # 116 s: M:SS
    (20000, 1024, "time"),  # 15 min
    (160000, 2048, "time"),  # 4 h: H:MM:SS
    (173, 512, "s"),
    (173, 512, "ms"),
    (173, 512, "frames"),
    (173, 512, None),
])
def test_time_axes_agree_with_librosa(frames, hop_length, x_axis):
    data = RNG.uniform(0.0, 1.0, size=(frames, 8))
    our_axes, their_axes, our_mesh, their_mesh = _draw_both(
        data, {"x_axis": x_axis, "y_axis": "frames", "hop_length": hop_length},
        {"x_axis": x_axis, "y_axis": "frames", "hop_length": hop_length})
    np.testing.assert_allclose(our_mesh.get_coordinates(), their_mesh.get_coordinates(), rtol=1e-9, atol=1e-9)
    assert _axis_state(our_axes, "x") == _axis_state(their_axes, "x")


def test_default_colormaps_are_librosas():
    for data in (RNG.uniform(-80, 0, (50, 20)), RNG.uniform(0, 1, (50, 20)), RNG.normal(size=(50, 20)),
                 RNG.uniform(size=(50, 20)) > 0.5):
        our_axes, their_axes, our_mesh, their_mesh = _draw_both(data, {}, {"y_axis": "frames"})
        assert our_mesh.get_cmap().name == their_mesh.get_cmap().name


def test_coordinates_given_replace_the_kinds_and_keep_its_ticks():
    data = RNG.uniform(-80, 0, (40, 64))
    seconds = 0.1 + np.arange(40) * 0.05  # e.g. centres of uncentred frames
    hz = librosa.mel_frequencies(66, fmax=8000.0)[1:-1]
    our_axes, their_axes, our_mesh, their_mesh = _draw_both(
        data, {"x_coords": seconds, "y_coords": hz, "y_axis": "mel", "sample_rate": 16000},
        {"x_coords": seconds, "y_coords": hz, "x_axis": "time", "y_axis": "mel", "sr": 16000})
    np.testing.assert_allclose(our_mesh.get_coordinates(), their_mesh.get_coordinates())
    assert _axis_state(our_axes, "y") == _axis_state(their_axes, "y")
    with pytest.raises(ValueError, match=r"x_coords must be a 1-D array of 40 frame centres or 41 edges; got "
                                         r"shape \(39,\)"):
        display.specshow(data, x_coords=seconds[:-1], ax=Figure().add_subplot())


def test_the_artist_is_on_the_given_axes_and_the_kwargs_reach_it():
    figure = Figure()
    axes = figure.add_subplot()
    mesh = display.specshow(RNG.uniform(size=(30, 65)), ax=axes, cmap="viridis", vmin=0.25, vmax=0.75)
    assert mesh.axes is axes and mesh in axes.collections
    assert mesh.get_cmap().name == "viridis" and mesh.get_clim() == (0.25, 0.75)


def test_time_axis_1_takes_librosas_layout_and_draws_the_same_picture():
    data = RNG.uniform(-80, 0, (50, 128))
    first, second = Figure().add_subplot(), Figure().add_subplot()
    ours = display.specshow(data, y_axis="mel", ax=first)
    transposed = display.specshow(data.T.copy(), y_axis="mel", time_axis=1, ax=second)
    np.testing.assert_array_equal(np.asarray(ours.get_array()), np.asarray(transposed.get_array()))
    np.testing.assert_array_equal(ours.get_coordinates(), transposed.get_coordinates())
    assert _axis_state(first, "y") == _axis_state(second, "y")
    # time runs along x: 50 columns for the 50 frames, whichever layout came
    assert ours.get_coordinates().shape[:2] == (129, 51)


def test_a_layer_output_tensor_is_drawn_once_one_picture_is_selected():
    from kapre_like.composed import get_melspectrogram_layer

    t = np.arange(22050) / 22050.0
    chirp = np.sin(2 * np.pi * (100 * t + 4000 * t ** 2)).astype("float32")[None, :, None]
    layer = get_melspectrogram_layer(input_shape=(22050, 1), n_fft=1024, hop_length=256, n_mels=64,
                                     return_decibel=True)
    output = layer(chirp)  # a tensor, (1, time, 64, 1)
    with pytest.raises(ValueError, match=r"data must be 2-D \(time, frequency\); got shape \(1, \d+, 64, 1\): "
                                         r"select one example and channel, e.g. x\[0, :, :, 0\]"):
        display.specshow(output, y_axis="mel", ax=Figure().add_subplot())
    axes = Figure().add_subplot()
    mesh = display.specshow(output[0, :, :, 0], y_axis="mel", hop_length=256, ax=axes)
    assert np.asarray(mesh.get_array()).shape == (64, output.shape[1])
    # the chirp rises: the loudest mel bin of the last frames is above that of the first ones
    picture = np.asarray(output[0, :, :, 0])
    assert picture[-5:].argmax(axis=1).mean() > picture[:5].argmax(axis=1).mean() + 20


@pytest.mark.parametrize("shape, advice", [
    ((2, 30, 40), r"x\[0\] or x\[:, :, 0\]"),
    ((30,), r"pass a \(time, frequency\) array"),
])
def test_data_that_is_not_one_picture_is_refused_with_its_shape(shape, advice):
    with pytest.raises(ValueError, match=rf"got shape \({', '.join(map(str, shape))},?\): .*{advice}"):
        display.specshow(np.zeros(shape), ax=Figure().add_subplot())


@pytest.mark.parametrize("arguments, message", [
    ({"x_axis": "seconds"}, r"unknown x_axis 'seconds'; allowed: 'time', 's', 'ms', 'frames', None"),
    ({"y_axis": "cqt"}, r"unknown y_axis 'cqt'; allowed: 'linear', 'hz', 'log', 'mel', 'cqt_hz', 'cqt_note', "
                        r"'chroma', 'mfcc', 'frames', None"),
    ({"sample_rate": 0}, r"sample_rate must be a number > 0; got 0"),
    ({"hop_length": -512}, r"hop_length must be a number > 0; got -512"),
    ({"n_fft": 0}, r"n_fft must be a number > 0; got 0"),
    ({"time_axis": 2}, r"time_axis must be 0 \(data is \(time, frequency\), kapre_like's layout\) or 1"),
    ({"bins_per_octave": 0}, r"bins_per_octave must be an integer >= 1; got 0"),
    ({"n_fft": 1024}, r"y_axis='linear' needs n_fft // 2 \+ 1 frequency bins, but data has 65 and n_fft=1024 "
                      r"gives 513"),
    ({"y_axis": "mel", "fmin": 8000.0, "fmax": 100.0}, r"fmax \(100 Hz\) must be above fmin \(8000 Hz\)"),
    ({"y_axis": "cqt_note", "fmin": 0.0}, r"fmin must be > 0 Hz for y_axis='cqt_note'; got 0.0"),
    ({"ax": "axes"}, r"ax must be a matplotlib.axes.Axes; got str"),
])
def test_bad_arguments_are_value_errors_that_say_what_is_allowed(arguments, message):
    arguments = {"ax": Figure().add_subplot(), **arguments}
    with pytest.raises(ValueError, match=r"^specshow: " + message):
        display.specshow(np.zeros((10, 65)), **arguments)


def test_a_cqt_axis_above_nyquist_warns():
    with pytest.warns(UserWarning, match=r"top bin of the 'cqt_hz' axis \(\d+\.\d Hz\) is above the Nyquist "
                                         r"frequency \(3500 Hz\)"):
        display.specshow(np.zeros((10, 84)), y_axis="cqt_hz", sample_rate=7000, ax=Figure().add_subplot())


def test_complex_data_is_drawn_as_its_magnitude_with_a_warning():
    data = RNG.normal(size=(10, 9)) + 1j * RNG.normal(size=(10, 9))
    with pytest.warns(UserWarning, match="data is complex; drawing its magnitude"):
        mesh = display.specshow(data, ax=Figure().add_subplot())
    np.testing.assert_allclose(np.asarray(mesh.get_array()), np.abs(data).T)


def test_without_matplotlib_the_module_imports_and_a_call_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    fresh = importlib.reload(display)  # importing needs no matplotlib
    try:
        with pytest.raises(ImportError, match="draws with matplotlib, which is not installed: pip install matplotlib"):
            fresh.specshow(np.zeros((10, 65)))
        with pytest.raises(ImportError, match="pip install matplotlib"):
            fresh.colorbar(None)
    finally:
        monkeypatch.undo()
        importlib.reload(display)


def test_drawing_never_changes_the_backend(monkeypatch):
    backend = dict.__getitem__(matplotlib.rcParams, "backend")  # the raw value: reading get_backend() resolves it

    def refuse(*args, **kwargs):
        raise AssertionError("matplotlib.use called")

    monkeypatch.setattr(matplotlib, "use", refuse)
    axes = Figure().add_subplot()
    display.colorbar(display.specshow(RNG.uniform(size=(20, 128)), y_axis="mel", ax=axes), ax=axes)
    assert dict.__getitem__(matplotlib.rcParams, "backend") == backend


def test_colorbar_labels_decibels_by_default():
    figure = Figure()
    axes = figure.add_subplot()
    mesh = display.specshow(RNG.uniform(-80.0, 0.0, (20, 65)), ax=axes)
    bar = display.colorbar(mesh, label="level")
    figure.draw_without_rendering()
    texts = [t.get_text() for t in bar.ax.yaxis.get_ticklabels()]
    assert texts and all(text.endswith(" dB") for text in texts) and "-40 dB" in texts
    assert bar.ax.yaxis.get_label_text() == "level" and bar.ax.figure is figure
    plain = display.colorbar(mesh, ax=axes, format=None)
    figure.draw_without_rendering()
    assert not any("dB" in t.get_text() for t in plain.ax.yaxis.get_ticklabels())
    with pytest.raises(ValueError, match=r"colorbar: format must be a %-format string, a matplotlib Formatter or "
                                         r"None; got 3"):
        display.colorbar(mesh, format=3)
    with pytest.raises(ValueError, match=r"colorbar: mappable must be a matplotlib ScalarMappable .*got ndarray"):
        display.colorbar(np.zeros(3))


def test_note_names_are_librosas():
    for hz in np.geomspace(20.0, 12000.0, 97):
        assert display.note_name(hz) == librosa.hz_to_note(hz)
        assert display.note_name(hz, cents=True) == librosa.hz_to_note(hz, cents=True)
        assert display.note_name(hz, octave=False) == librosa.hz_to_note(hz, octave=False)
    with pytest.raises(ValueError, match=r"note_name: frequency must be > 0 Hz; got 0"):
        display.note_name(0)
    with pytest.raises(ValueError, match="cents=True needs octave=True"):
        display.note_name(440.0, octave=False, cents=True)


def test_bin_index_ticks_fall_on_round_frequencies_and_on_every_c():
    frequencies = librosa.mel_frequencies(130, fmin=0, fmax=8000)[1:-1]
    positions, labels = display.frequency_ticks(frequencies)
    assert labels == ["100", "500", "1000", "2000", "3000", "5000"]  # round, at least 1/8 of the axis apart
    # each tick sits where the bins' frequencies (interpolated) reach its label
    np.testing.assert_allclose(np.interp(positions, np.arange(128), frequencies), [float(x) for x in labels])
    cqt = librosa.cqt_frequencies(84, fmin=librosa.note_to_hz("C1"))
    positions, labels = display.note_ticks(cqt)
    assert labels == ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]
    np.testing.assert_allclose(positions, [0, 12, 24, 36, 48, 60, 72], atol=1e-6)
    positions, labels = display.note_ticks(librosa.cqt_frequencies(72, fmin=librosa.note_to_hz("A1"),
                                                                   bins_per_octave=24), bins_per_octave=24)
    assert labels == ["C2", "C3", "C4"] and np.allclose(positions, [6, 30, 54])  # C2 is 3 semitones above A1
