"""The figures that several chapters share.

Every function returns the matplotlib objects it made and never calls
``plt.show()``: in Jupyter the figure appears when the cell ends, and in tests
or scripts nothing blocks. Assign the result (``fig, ax = ...``) so the notebook
does not also print its repr.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

SERIES_STYLE: dict[str, Any] = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "figure.autolayout": True,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.frameon": False,
    "image.cmap": "viridis",
}
"""The rcParams every chapter uses (set by :func:`use_style`)."""


def use_style() -> None:
    """Apply the series' matplotlib style (called by ``setup_notebook``)."""
    mpl.rcParams.update(SERIES_STYLE)


def _history_dict(history: Any) -> dict[str, list[float]]:
    data = getattr(history, "history", history)
    if not isinstance(data, Mapping) or not data:
        raise ValueError("expected a keras History or a non-empty dict of metric name -> list of values")
    return {k: list(map(float, v)) for k, v in data.items()}


def plot_history(
    history: Any, metrics: Sequence[str] | None = None, title: str = "Training history"
) -> tuple[Figure, np.ndarray]:
    """Loss and metric curves per epoch, training next to validation.

    Args:
        history: what ``model.fit`` returned, or its ``.history`` dict.
        metrics: which metrics to draw (default: every one that is not ``val_*``).
        title: the figure's title.

    Returns:
        ``(fig, axes)`` with one panel per metric.

    Raises:
        ValueError: if the history is empty or a requested metric is not in it.
    """
    data = _history_dict(history)
    available = [k for k in data if not k.startswith("val_")]
    metrics = list(metrics) if metrics is not None else available
    unknown = [m for m in metrics if m not in data]
    if unknown or not metrics:
        raise ValueError(f"unknown metric(s) {unknown}; the history has {available}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.6 * len(metrics), 3.4), squeeze=False)
    for ax, name in zip(axes[0], metrics):
        epochs = np.arange(1, len(data[name]) + 1)
        ax.plot(epochs, data[name], "o-", ms=3, label="training")
        if f"val_{name}" in data:
            ax.plot(epochs, data[f"val_{name}"], "s--", ms=3, label="validation")
        ax.set(title=name.replace("_", " "), xlabel="epoch", ylabel=name)
        ax.legend()
    fig.suptitle(title)
    return fig, axes[0]


def show_images(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
    predictions: Sequence[int] | np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    ncols: int = 8,
    title: str | None = None,
    cmap: str = "gray",
) -> tuple[Figure, np.ndarray]:
    """A grid of images, each titled with its label (and prediction, red when wrong).

    Args:
        images: array of shape ``(n, h, w)`` or ``(n, h, w, c)`` with c in {1, 3}.
        labels: true classes, one per image.
        predictions: predicted classes, one per image.
        class_names: names to show instead of class numbers.
        ncols: images per row.
        title: the figure's title.

    Raises:
        ValueError: on a wrong image shape, mismatched lengths or a class
            number with no name.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3) or len(images) == 0:
        raise ValueError(f"expected images of shape (n, h, w) or (n, h, w, 1|3) with n > 0, got {images.shape}")
    n = len(images)
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != n:
            raise ValueError(f"got {n} images but {len(values)} {name}")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")

    def name_of(k: int) -> str:
        if class_names is None:
            return str(int(k))
        if not 0 <= int(k) < len(class_names):
            raise ValueError(f"class {k} has no name: class_names has {len(class_names)} entries")
        return class_names[int(k)]

    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.5 * ncols, 1.75 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap=cmap if images.ndim == 3 else None)
        parts, color = [], "black"
        if labels is not None:
            parts.append(name_of(labels[i]))
        if predictions is not None:
            parts.append(f"pred: {name_of(predictions[i])}")
            if labels is not None and int(predictions[i]) != int(labels[i]):
                color = "tab:red"
        ax.set_title("\n".join(parts), fontsize=8, color=color)
    if title:
        fig.suptitle(title)
    return fig, axes


def confusion_matrix(
    y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray, num_classes: int | None = None
) -> np.ndarray:
    """Counts ``cm[i, j]`` of examples of true class i predicted as class j.

    Raises:
        ValueError: on mismatched lengths, empty input, negative classes or a
            class not below ``num_classes``.
    """
    y_true = np.asarray(y_true, dtype=int).ravel()
    y_pred = np.asarray(y_pred, dtype=int).ravel()
    if len(y_true) != len(y_pred) or len(y_true) == 0:
        raise ValueError(f"y_true and y_pred must be non-empty and equally long, got {len(y_true)} and {len(y_pred)}")
    if min(y_true.min(), y_pred.min()) < 0:
        raise ValueError("class labels must be non-negative integers")
    largest = int(max(y_true.max(), y_pred.max()))
    k = num_classes or largest + 1
    if largest >= k:
        raise ValueError(f"labels go up to {largest} but num_classes is {k}")
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def plot_confusion_matrix(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
    title: str = "Confusion matrix",
) -> tuple[Figure, Axes, np.ndarray]:
    """Heatmap of the confusion matrix; rows are true classes, columns predictions.

    Returns ``(fig, ax, cm)``; with ``normalize`` each row of ``cm`` sums to 1
    (the diagonal is then each class's recall).
    """
    k = len(class_names) if class_names is not None else None
    cm = confusion_matrix(y_true, y_pred, k)
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    names = list(class_names) if class_names is not None else [str(i) for i in range(cm.shape[0])]
    size = max(4.0, 0.55 * len(names) + 1.5)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(shown, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set(xticks=range(len(names)), yticks=range(len(names)), xticklabels=names, yticklabels=names,
           xlabel="predicted class", ylabel="true class", title=title)
    ax.tick_params(axis="x", labelrotation=45)
    ax.grid(False)
    threshold = shown.max() / 2 if shown.size else 0
    for i in range(shown.shape[0]):
        for j in range(shown.shape[1]):
            text = f"{shown[i, j]:.2f}" if normalize else str(shown[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if shown[i, j] > threshold else "black")
    return fig, ax, (shown if normalize else cm)


def plot_decision_boundary(
    predict: Callable[[np.ndarray], Any],
    X: np.ndarray,
    y: Sequence[int] | np.ndarray,
    ax: Axes | None = None,
    resolution: int = 200,
    title: str = "Decision boundary",
    xlabel: str = "$x_1$",
    ylabel: str = "$x_2$",
) -> tuple[Figure, Axes]:
    """Regions a 2-D classifier assigns to each class, with the data on top.

    Args:
        predict: maps an ``(m, 2)`` array to class scores: shape ``(m,)`` or
            ``(m, 1)`` for a binary classifier (probabilities or 0/1 labels,
            thresholded at 0.5) or ``(m, k)`` for k classes (argmax). A Keras
            model's ``predict`` or a NumPy function both work.
        X: the ``(n, 2)`` inputs to scatter.
        y: their ``n`` classes.
        ax: draw into these axes (e.g. one panel of several) instead of a new figure.

    Raises:
        ValueError: if X is not ``(n, 2)``, lengths differ, or ``predict``
            returns the wrong number of rows.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0) + 1e-9)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[xx.ravel(), yy.ravel()]
    scores = np.asarray(predict(grid), dtype=float)
    if scores.shape[0] != len(grid):
        raise ValueError(f"predict returned {scores.shape[0]} rows for {len(grid)} inputs")
    if scores.ndim == 2 and scores.shape[1] > 1:
        zz = scores.argmax(axis=1).reshape(xx.shape)
    else:
        zz = (scores.ravel() >= 0.5).astype(int).reshape(xx.shape)
    fig = ax.figure if ax is not None else None
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.8, 4.2))
    classes = np.unique(np.concatenate([np.unique(zz), np.unique(y.astype(int))]))
    cmap = plt.get_cmap("coolwarm" if len(classes) <= 2 else "tab10")
    ax.contourf(xx, yy, zz, levels=np.arange(classes.max() + 2) - 0.5, cmap=cmap, alpha=0.25)
    ax.contour(xx, yy, zz, levels=np.arange(classes.max() + 1) + 0.5, colors="k", linewidths=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=classes.min(), vmax=max(classes.max(), 1),
               edgecolors="k", linewidths=0.4, s=22)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    ax.grid(False)
    return fig, ax


def plot_functions(
    functions: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    x: np.ndarray | None = None,
    derivatives: bool = False,
    title: str = "Activation functions",
) -> tuple[Figure, np.ndarray]:
    """Plot named functions of one variable, and optionally their derivatives.

    Derivatives are taken numerically (central differences via ``np.gradient``),
    so any NumPy function works. Returns ``(fig, axes)``: one panel, or two
    side by side when ``derivatives`` is True.

    Raises:
        ValueError: if no functions are given, x is not a 1-D increasing grid,
            or a function returns the wrong shape.
    """
    if not functions:
        raise ValueError("give at least one function, e.g. {'relu': lambda x: np.maximum(0, x)}")
    x = np.linspace(-5, 5, 401) if x is None else np.asarray(x, dtype=float)
    if x.ndim != 1 or len(x) < 3 or np.any(np.diff(x) <= 0):
        raise ValueError("x must be a 1-D, strictly increasing grid of at least 3 points")
    fig, axes = plt.subplots(1, 2 if derivatives else 1, figsize=(10 if derivatives else 5.5, 3.8), squeeze=False)
    axes = axes[0]
    for name, fn in functions.items():
        y = np.asarray(fn(x), dtype=float)
        if y.shape != x.shape:
            raise ValueError(f"{name!r} returned shape {y.shape} for input of shape {x.shape}")
        axes[0].plot(x, y, label=name)
        if derivatives:
            axes[1].plot(x, np.gradient(y, x), label=name)
    axes[0].set(title="f(x)", xlabel="x", ylabel="f(x)")
    axes[0].axhline(0, color="k", lw=0.6)
    axes[0].legend()
    if derivatives:
        axes[1].set(title="derivative f'(x)", xlabel="x", ylabel="f'(x)")
        axes[1].axhline(0, color="k", lw=0.6)
        axes[1].legend()
    fig.suptitle(title)
    return fig, axes


def tile(images: np.ndarray, ncols: int = 6) -> np.ndarray:
    """Lay out (n, h, w, 1) or (n, h, w) grey images as one (rows*h, ncols*w) canvas for one ``imshow``.

    Only whole rows are kept: ``n // ncols`` rows. Chapters 14 and 15 show generated digits with it.

    Raises:
        ValueError: on a wrong shape, or fewer images than ``ncols``.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or len(images) < ncols:
        raise ValueError(f"expected at least {ncols} images of shape (h, w) or (h, w, 1), got {images.shape}")
    rows, (h, w) = len(images) // ncols, images.shape[1:]
    return images[: rows * ncols].reshape(rows, ncols, h, w).transpose(0, 2, 1, 3).reshape(rows * h, ncols * w)
