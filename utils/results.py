"""Each chapter's headline metrics, and the thresholds they must meet.

:data:`THRESHOLDS` is the one table of what the series promises. A chapter
reports its headline numbers with :func:`report`, which

* prints them,
* in full mode, checks each promised threshold (quick mode trains too little
  for them to mean anything, so there it only reports), and
* when ``NN_RESULTS_DIR`` is set (the full-series runner sets it), writes them
  to ``<NN_RESULTS_DIR>/<chapter>.json`` so the runner need not scrape outputs.

What a missed promise does depends on one switch, ``NN_STRICT``:

* strict (``NN_STRICT=1``, set by ``conftest.py`` for the test suite and by the
  full-mode runner): it raises, so the run fails;
* otherwise (a learner's JupyterLab or Colab): it prints a short warning that names
  the metric, its value and the promise, says what a near miss most likely means
  and how to check, and the notebook goes on.
"""

from __future__ import annotations

import json
import math
import operator
import os
from pathlib import Path

from utils.setup import env_flag, quick_mode

RESULTS_ENV = "NN_RESULTS_DIR"
STRICT_ENV = "NN_STRICT"
"""``NN_STRICT=1``: a missed promise raises (tests, runner); unset: it warns and the notebook goes on."""

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}

THRESHOLDS: dict[str, dict[str, tuple[str, float]]] = {
    "00": {"first_taste_slope_error": ("<=", 0.05), "first_taste_intercept_error": ("<=", 0.05)},
    "01": {"perceptron_train_accuracy": (">=", 1.0), "perceptron_test_accuracy": (">=", 0.95),
           "xor_best_accuracy": ("<=", 0.75), "neuron_vs_keras_max_diff": ("<=", 1e-6),
           "keras_neuron_test_accuracy": (">=", 0.95)},
    "02": {"sigmoid_grad_first_over_last": ("<=", 1e-3), "relu_grad_first_over_last": (">=", 0.05),
           "deep_relu_minus_sigmoid_accuracy": (">=", 0.3), "xor_accuracy": (">=", 1.0),
           "xor_train_accuracy": (">=", 0.97), "curve_mse_widest": ("<=", 0.01),
           "curve_mse_narrowest_over_widest": (">=", 20.0)},
    "03": {"lr_right_excess_loss": ("<=", 1e-6), "lr_too_large_loss_growth": (">=", 1e3),
           "lr_small_over_right_excess": (">=", 1e3), "minibatch_excess_loss": ("<=", 0.05),
           "batch_over_minibatch_excess_per_epoch": (">=", 10.0),
           "tape_vs_analytic_gradient_max_diff": ("<=", 1e-10), "optimizer_vs_lstsq_max_diff": ("<=", 1e-4),
           "fit_vs_lstsq_max_diff": ("<=", 1e-4)},
    "04": {"tape_max_abs_diff": ("<=", 1e-12), "gradcheck_max_rel_error": ("<=", 1e-6),
           "gradcheck_bug_rel_error": (">=", 0.1), "gradcheck_float32_rel_error": (">=", 1e-3),
           "numpy_test_accuracy": (">=", 0.94), "keras_test_accuracy": (">=", 0.94),
           "numpy_keras_accuracy_gap": ("<=", 0.01), "backprop_speedup": (">=", 20.0),
           "backprop_cost_in_forward_passes": ("<=", 5.0)},
    "05": {"test_accuracy": (">=", 0.98), "test_loss": ("<=", 0.09),
           "scaling_accuracy_gain": (">=", 0.03), "scaling_val_loss_ratio": (">=", 3.0)},
    "06": {"overfit_gap": (">=", 0.10), "overfit_val_loss_rise": (">=", 1.15),
           "l2_gap_reduction": (">=", 0.015), "dropout_gap_reduction": (">=", 0.015),
           "early_stopping_gap_reduction": (">=", 0.015), "more_data_gap_reduction": (">=", 0.015),
           "augmentation_gap_reduction": (">=", 0.015),
           "sigmoid_first_over_last_grad": ("<=", 1e-5), "relu_he_first_over_last_grad": (">=", 0.1),
           "relu_he_over_sigmoid_first_layer_grad": (">=", 1e4),
           "deep_sigmoid_val_accuracy": ("<=", 0.2), "batchnorm_accuracy_gain": (">=", 0.4),
           "relu_he_accuracy_gain": (">=", 0.4),
           "raw_input_val_accuracy": ("<=", 0.2), "standardised_vs_raw_accuracy_gain": (">=", 0.4),
           "standardised_vs_scaled_accuracy_gain": (">=", 0.01),
           "adam_over_sgd_final_loss": ("<=", 0.7), "momentum_over_sgd_final_loss": ("<=", 0.8),
           "rmsprop_over_sgd_final_loss": ("<=", 0.7),
           "lr_sweep_best_rate": (">=", 1e-3), "lr_sweep_min_over_start_loss": ("<=", 0.5),
           "batch_time_small_over_large": (">=", 3.0), "batch_best_minus_largest_val_accuracy": (">=", 0.015),
           "search_test_accuracy": (">=", 0.82), "search_val_minus_test": ("<=", 0.04)},
    "07": {"conv_max_abs_diff": ("<=", 1e-5), "pool_max_abs_diff": ("<=", 1e-5),
           "conv_grad_max_abs_diff": ("<=", 1e-5), "output_size_mismatches": ("<=", 0.0),
           "receptive_field_mismatches": ("<=", 0.0), "flipped_kernel_max_diff": (">=", 1.0),
           "dense_over_conv_params": (">=", 1e4), "cnn_test_accuracy": (">=", 0.97),
           "cnn_minus_dense_accuracy": (">=", 0.04)},
    "08": {"cnn_test_accuracy": (">=", 0.91), "cnn_minus_mlp_accuracy": (">=", 0.015),
           "cnn_over_mlp_test_loss": ("<=", 0.85), "batchnorm_train_loss_ratio": ("<=", 0.5),
           "dropout_gap_reduction": (">=", 0.015), "augmentation_gap_reduction": (">=", 0.03),
           "tfdata_over_numpy_step_time": ("<=", 1.25), "cached_over_uncached_step_time": ("<=", 1.25)},
    "09": {"deep_plain_minus_shallow_train_loss": (">=", 0.15), "deep_plain_over_residual_train_loss": (">=", 1.5),
           "first_layer_grad_plain_over_residual": (">=", 3.0), "flatten_over_gap_head_params": (">=", 40.0),
           "separable_over_standard_multiply_adds": ("<=", 0.15), "cam_vs_gradcam_max_diff": ("<=", 1e-5),
           "frozen_minus_scratch_accuracy_fewest": (">=", 0.03)},
    "10": {"order_bag_accuracy": ("<=", 0.6), "order_rnn_accuracy": (">=", 0.95),
           "order_rnn_minus_bag_accuracy": (">=", 0.35), "rnn_vs_keras_max_diff": ("<=", 1e-5),
           "lstm_vs_keras_max_diff": ("<=", 1e-5), "bptt_vs_tape_max_diff": ("<=", 1e-6),
           "simple_rnn_grad_first_over_last": ("<=", 1e-3), "untrained_lstm_grad_first_over_last": ("<=", 1e-3),
           "untrained_gru_grad_first_over_last": ("<=", 1e-3),
           "memory_simple_rnn_short_accuracy": (">=", 0.95), "memory_lstm_short_accuracy": (">=", 0.95),
           "memory_gru_short_accuracy": (">=", 0.95), "memory_simple_rnn_long_accuracy": ("<=", 0.65),
           "memory_lstm_long_accuracy": (">=", 0.95), "memory_gru_long_accuracy": (">=", 0.95),
           "memory_unit_sign_accuracy": (">=", 0.9),
           "forecast_worst_network_over_naive": ("<=", 0.4),
           "forecast_worst_network_over_seasonal_naive": ("<=", 0.9),
           "forecast_spread_worst_over_best": ("<=", 0.15), "forecast_lstm_over_dense_mae": (">=", 0.9)},
    "11": {"baseline_test_accuracy": (">=", 0.85), "lstm_test_accuracy": (">=", 0.85),
           "bilstm_test_accuracy": (">=", 0.86), "best_recurrent_test_accuracy": (">=", 0.86),
           "recurrent_baseline_gap": ("<=", 0.025), "neighbour_polarity_agreement": (">=", 0.75),
           "clear_sentences_correct": (">=", 1.0)},
    "12": {"attention_vs_keras_max_diff": ("<=", 1e-5), "mha_vs_keras_max_diff": ("<=", 1e-5),
           "padding_mask_leak": ("<=", 1e-5), "transformer_test_accuracy": (">=", 0.86),
           "attention_polarity_correlation": (">=", 0.6),
           "trained_minus_untrained_polarity_correlation": (">=", 0.1)},
    "13": {"attention_vs_keras_max_diff": ("<=", 1e-5), "causal_mask_future_weight": ("<=", 0.0),
           "top_k_outside_picks": ("<=", 0.0), "val_loss": ("<=", 1.8),
           "unigram_minus_val_loss": (">=", 1.5), "bigram_minus_val_loss": (">=", 0.65)},
    "14": {"linear_ae_over_pca_mse": ("<=", 1.05), "linear_ae_pca_subspace_overlap": (">=", 0.95),
           "deep_ae2_over_pca2_mse": ("<=", 0.75), "bce_vs_keras_max_diff": ("<=", 1e-5),
           "judge_test_accuracy": (">=", 0.97), "gan_recognised_fraction": (">=", 0.8),
           "gan_confident_fraction": (">=", 0.35), "gan_class_entropy": (">=", 0.9),
           "gan_minus_untrained_confident": (">=", 0.3), "gan_spread_over_real": (">=", 0.8),
           "gan_nearest_over_real": ("<=", 1.6), "noise_nearest_over_real": (">=", 2.0),
           "bad_min_class_entropy": ("<=", 0.4)},
    "15": {"kl_mc_vs_closed_rel_error": ("<=", 0.01), "score_over_reparam_variance": (">=", 10),
           "vae_terms_vs_numpy_rel_diff": ("<=", 1e-4), "vae_minus_ae_prior_confident": (">=", 0.03),
           "ae_over_vae_prior_nearest": (">=", 1.05),
           "sweep_kl_ratio": (">=", 2), "sweep_reconstruction_ratio": (">=", 1.2),
           "noising_coefficients_max_diff": ("<=", 1e-9), "noising_mc_rel_error": ("<=", 0.02),
           "ddpm_forms_max_diff": ("<=", 1e-4), "diffusion_last_round_loss": ("<=", 0.1),
           "ddpm_class_entropy": (">=", 0.85), "ddpm_nearest_over_real": ("<=", 1.6),
           "ddpm_minus_untrained_plausible": (">=", 0.08), "untrained_over_ddpm_nearest": (">=", 1.5),
           "ddim_over_ddpm_seconds": ("<=", 0.5)},
    "16": {"cnn_test_accuracy": (">=", 0.89), "gradcam_over_random_drop": ("<=", 0.8),
           "gap_gradcam_over_random_drop": (">=", 1.05),
           "grad_x_act_over_random_drop": (">=", 1.25), "saliency_over_random_drop": (">=", 1.4),
           "gradcam_randomised_correlation": ("<=", 0.3), "grad_x_act_randomised_correlation": ("<=", 0.5),
           "shirt_recall_drop": (">=", 0.5), "reweighting_recovered_fraction": (">=", 0.4),
           "underrep_minus_balanced_shirt_ece": (">=", 0.05), "underrep_minus_balanced_ece": (">=", 0.03),
           "underrep_accuracy_drop": ("<=", 0.08)},
    "17": {"matmul_large_over_small_gflops": (">=", 10.0), "numpy_vs_tape_max_diff": ("<=", 1e-10),
           "mirrored_vs_single_max_diff": ("<=", 1e-6), "workers_max_diff": ("<=", 0.0),
           "workers_vs_single_max_diff": ("<=", 1e-5), "resumed_vs_uninterrupted_max_diff": ("<=", 1e-6),
           "no_backup_vs_backup_max_diff": ("<=", 1e-6)},
}
"""chapter -> metric -> (comparison, bound) that full mode must meet."""


def check(chapter: str, metrics: dict[str, float], require_all: bool = False) -> list[str]:
    """The promised thresholds of ``chapter`` that ``metrics`` miss (empty if all met).

    Only the metrics present are checked, since a chapter reports them cell by
    cell; with ``require_all`` (the runner, after a whole chapter) a promised
    metric that was never reported counts as missed.
    """
    failures = []
    for name, (op, bound) in THRESHOLDS.get(chapter, {}).items():
        if name not in metrics:
            if require_all:
                failures.append(f"{name} was never reported (promised {op} {bound:g})")
            continue
        value = metrics[name]
        if not (math.isfinite(value) and _OPS[op](value, bound)):
            failures.append(f"{name} = {value:.4g}, promised {op} {bound:g}")
    return failures


def strict_mode() -> bool:
    """True when a missed promise must raise (``NN_STRICT=1``), False when it only warns."""
    return env_flag(STRICT_ENV)


def missed_message(chapter: str, failures: list[str]) -> str:
    """What a learner reads when a result misses its promise outside the test suite."""
    lines = [f"WARNING: chapter {chapter} missed a promise of the series:"]
    lines += [f"    {failure}" for failure in failures]
    lines += [
        "This run goes on. The series meets this promise on seeds 42, 43 and 44 on a 2-core CPU",
        "(results/seeds.md), so a near miss most likely comes from another device (a GPU adds in",
        "another order), another seed, or other TensorFlow/Keras versions (see the environment",
        "line at the top). To check: restart the kernel and run the chapter with seed=42 in its",
        "setup cell. A large miss there means something else changed: compare the cells you",
        "edited, or open an issue with the environment line and this message.",
    ]
    return "\n".join(lines)


def report(chapter: str, **metrics: float) -> dict[str, float]:
    """Report a chapter's headline metrics; in full mode, check its thresholds.

    Args:
        chapter: two-digit chapter number, e.g. ``"05"``.
        **metrics: metric name -> value (plain floats).

    Raises:
        ValueError: on a malformed chapter number, no metrics, or a value that is not a number.
        AssertionError: in full mode under ``NN_STRICT=1``, if a promised threshold is missed
            (without it, a miss prints :func:`missed_message` and the values are returned).
    """
    if len(chapter) != 2 or not chapter.isdigit():
        raise ValueError(f"chapter must be two digits like '05', got {chapter!r}")
    if not metrics:
        raise ValueError("report at least one metric, e.g. report('05', test_accuracy=0.981)")
    values: dict[str, float] = {}
    for name, value in metrics.items():
        try:
            values[name] = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"metric {name} must be a number, got {value!r}") from None
    quick = quick_mode()
    promised = THRESHOLDS.get(chapter, {})
    for name, value in values.items():
        bound = f"   (promised {promised[name][0]} {promised[name][1]:g})" if name in promised else ""
        print(f"{name:>32s} = {value:.4g}{bound}")
    out_dir = os.environ.get(RESULTS_ENV)
    if out_dir:
        path = Path(out_dir) / f"{chapter}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        old = json.loads(path.read_text()) if path.exists() else {}
        old.update(values)
        path.write_text(json.dumps(old, indent=2, sort_keys=True))
    if quick:
        print("quick mode: thresholds are checked in full mode only")
        return values
    failures = check(chapter, values)
    if failures and strict_mode():
        raise AssertionError(f"chapter {chapter} missed its promise: " + "; ".join(failures))
    if failures:
        print(missed_message(chapter, failures))
    return values

