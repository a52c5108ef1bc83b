import numpy as np
import pytest
from matplotlib.figure import Figure

from utils import plots


def test_plot_history_draws_train_and_validation():
    hist = {"loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.7, 0.6],
            "accuracy": [0.5, 0.8, 0.9], "val_accuracy": [0.4, 0.7, 0.8]}
    fig, axes = plots.plot_history(hist, title="T")
    assert isinstance(fig, Figure) and len(axes) == 2
    assert [len(ax.lines) for ax in axes] == [2, 2]
    assert np.allclose(axes[0].lines[1].get_ydata(), hist["val_loss"])
    assert axes[0].get_xlabel() == "epoch" and axes[0].get_title() == "loss"


def test_plot_history_accepts_keras_history_and_selects_metrics():
    class FakeHistory:
        history = {"loss": [1.0, 0.5]}

    fig, axes = plots.plot_history(FakeHistory(), metrics=["loss"])
    assert len(axes) == 1 and len(axes[0].lines) == 1


@pytest.mark.parametrize("bad", [{}, None, {"loss": [1.0]}])
def test_plot_history_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        if bad == {"loss": [1.0]}:
            plots.plot_history(bad, metrics=["accuracy"])
        else:
            plots.plot_history(bad)


def test_show_images_titles_mistakes_in_red():
    images = np.random.rand(5, 8, 8)
    fig, axes = plots.show_images(images, labels=[0, 1, 2, 1, 0], predictions=[0, 1, 1, 1, 0],
                                  class_names=["a", "b", "c"], ncols=3, title="grid")
    assert axes.shape == (2, 3)
    assert axes[0, 2].get_title() == "c\npred: b"
    assert axes[0, 2].title.get_color() == "tab:red" and axes[0, 0].title.get_color() == "black"
    assert not axes[1, 2].images  # the unused cell stays empty


def test_show_images_accepts_channels():
    fig, axes = plots.show_images(np.random.rand(2, 8, 8, 1))
    assert axes.size == 2
    fig, axes = plots.show_images(np.random.rand(2, 8, 8, 3))
    assert axes[0, 0].images[0].get_array().shape == (8, 8, 3)


@pytest.mark.parametrize("kwargs", [
    {"images": np.zeros((8, 8))},
    {"images": np.zeros((2, 8, 8, 2))},
    {"images": np.zeros((2, 8, 8)), "labels": [1]},
    {"images": np.zeros((2, 8, 8)), "labels": [0, 5], "class_names": ["a", "b"]},
])
def test_show_images_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        plots.show_images(**kwargs)


def test_confusion_matrix_counts():
    cm = plots.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0])
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert plots.confusion_matrix([0], [0], num_classes=3).shape == (3, 3)
    with pytest.raises(ValueError):
        plots.confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError):
        plots.confusion_matrix([-1], [0])


def test_plot_confusion_matrix_normalises_rows():
    fig, ax, cm = plots.plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], class_names=["x", "y"], normalize=True)
    assert np.allclose(cm, [[0.5, 0.5], [0.0, 1.0]])
    assert ax.get_xlabel() == "predicted class" and [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]
    with pytest.raises(ValueError):
        plots.plot_confusion_matrix([0, 2], [0, 1], class_names=["x", "y"])


def test_plot_decision_boundary_binary_and_multiclass():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    fig, ax = plots.plot_decision_boundary(lambda g: (g[:, 1] > 0.5).astype(float), X, y, resolution=20)
    assert ax.get_title() == "Decision boundary" and len(ax.collections) >= 2
    three = lambda g: np.stack([g[:, 0], g[:, 1], 1 - g.sum(1)], axis=1)  # noqa: E731
    fig2, ax2 = plots.plot_decision_boundary(three, X, [0, 1, 2, 0], resolution=10)
    assert fig2 is not fig


def test_plot_decision_boundary_draws_into_given_axes():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2)
    out_fig, out_ax = plots.plot_decision_boundary(lambda g: g[:, 0] > 0, np.random.rand(5, 2), np.arange(5) % 2,
                                                   ax=axes[1])
    assert out_fig is fig and out_ax is axes[1]


def test_plot_decision_boundary_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plots.plot_decision_boundary(lambda g: g[:, 0], np.zeros((3, 3)), [0, 1, 0])
    with pytest.raises(ValueError, match="rows"):
        plots.plot_decision_boundary(lambda g: g[:, 0], np.zeros((3, 2)), [0, 1])
    with pytest.raises(ValueError, match="predict returned"):
        plots.plot_decision_boundary(lambda g: g[:3, 0], np.random.rand(3, 2), [0, 1, 0])


def test_plot_functions_with_derivatives():
    fig, axes = plots.plot_functions({"square": np.square, "relu": lambda x: np.maximum(0, x)}, derivatives=True)
    assert len(axes) == 2 and len(axes[0].get_lines()) == 3  # two functions + the zero line
    x = axes[1].lines[0].get_xdata()
    assert np.allclose(axes[1].lines[0].get_ydata()[1:-1], 2 * x[1:-1], atol=1e-6)


def test_plot_functions_rejects_bad_input():
    with pytest.raises(ValueError):
        plots.plot_functions({})
    with pytest.raises(ValueError):
        plots.plot_functions({"f": np.sin}, x=np.array([1.0, 0.0, 2.0]))
    with pytest.raises(ValueError, match="returned shape"):
        plots.plot_functions({"f": lambda x: x[:-1]})


def test_tile_lays_images_out_row_by_row():
    images = np.arange(7 * 2 * 3).reshape(7, 2, 3, 1)
    canvas = plots.tile(images, ncols=3)
    assert canvas.shape == (2 * 2, 3 * 3), "two whole rows of three; the seventh image is left out"
    assert np.array_equal(canvas[:2, 3:6], images[1, ..., 0]) and np.array_equal(canvas[2:, 6:], images[5, ..., 0])
    with pytest.raises(ValueError, match="at least 3 images"):
        plots.tile(images[:2], ncols=3)
