"""Test configuration: strict numerics so dtype and rank mistakes fail loudly."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax

jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")

from hypothesis import HealthCheck, settings  # noqa: E402

# JAX compiles on first use, so the first example of a property test is slow: no deadline.
settings.register_profile(
    "lrx", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow]
)
# CI runs the same examples every time (derandomize): its time and its verdict depend on
# the commit, not on the examples drawn. Local runs keep exploring new examples.
settings.register_profile("lrx-ci", parent=settings.get_profile("lrx"), derandomize=True)
settings.load_profile("lrx-ci" if os.environ.get("CI") else "lrx")


# -- the default run's budget -------------------------------------------------------------
# README's `python -m pytest` runs in about 4 minutes on 2 cores: it checks every behaviour
# once, and leaves the matrices (every dtype, every hyperparameter batched, every
# configuration x problem of the golden trajectories, whole demo and sweep runs) to CI's
# second command, `python -m pytest -m "slow or parity"`, which runs everything marked here.
# Each rule is (file, regular expression over the test's name with its parameters), chosen
# from `--durations=0` (docs/benchmarks.md, "Test time").
import re  # noqa: E402

import pytest  # noqa: E402

_SLOW_IN_CI_ONLY = [
    ("tests/test_demo.py", r"test_(quick_demo|quick_sweep)_end_to_end|test_example_runs"),
    ("tests/test_demo.py", r"test_(schedule_free_run|plateau_run|same_seed)"),
    ("tests/test_sweep.py", r"test_vmapped_sweep_equals_loop_of_single_runs\[(?!learning_rate\])"),
    ("tests/test_sweep.py", r"test_sweep_configurations_differ\[(?!all\])"),
    (
        "tests/test_lr_free_schedule_free.py",
        r"test_vmap_over_warmup_steps_equals_the_loop\[(?!sgd\])",
    ),
    ("tests/test_conformance.py", r"test_dtypes_preserved_and_finite\[.*-(f16|f64)\]"),
    ("tests/test_conformance.py", r"test_(vmap_over_every|jit_with_hyperparameters_as)"),
    ("tests/test_conformance.py", r"test_donated_training_step\[(?!adam\]|prodigy\])"),
    ("tests/test_inject.py", r"test_inject_equals_direct\[(?!adam\b)"),
    ("tests/test_transforms_hyperparams.py", r"test_vmap_over_hyperparameter_equals_loop"),
    (r"tests/test_lr_free_\w+\.py", r"test_\w*golden\w*\[.*(lstsq|mlp)"),
    ("tests/test_literal_swap.py", r"test_literal_swap_gives_optax_numbers\[(?!0-)"),
    ("tests/test_compile_scaling.py", r"test_distinct_kernels_do_not_grow"),
    ("tests/test_schedules_peers.py", r"test_(vmap_over_fields_equals_the_loop|new_families)"),
    ("tests/test_hyper_schedules.py", r"test_schedule_equals_inject_hyperparams\[(?!adam)"),
    ("tests/test_transforms_guards.py", r"test_one_bad_leaf_anywhere_in_a_large_tree"),
    # the conformance variants (a method's second configuration); one case per method stays
    (
        "tests/test_conformance.py",
        r"test_(jit_equals_no_jit|no_retrace_on_second_call|dtypes_preserved_and_finite)\["
        r"(adafactor_momentum_wd|adafactor_no_lr|adam_plateau|clip_by_block_rms|cocob_wd|"
        r"dadapt_adamw_bias|dog_wd_init_eta|hf_adafactor_lr_wd|hf_adafactor_warmup_beta1|"
        r"lars_nesterov|ldog_wd|mechanize_sgd|momo_adam_adamw|momo_adam_fstar|momo_bc_fstar|"
        r"momo_schedule|momo_wd|prodigy_bias_wd_slice|prodigy_l2_b1zero|"
        r"scale_by_adagrad_eps_in_sqrt|scale_by_adam_eps_root|scale_by_adam_mu_bf16|"
        r"scale_by_adam_nesterov_amsgrad|scale_by_factored_rms_unfactored|"
        r"scale_by_learning_rate_schedule|scale_by_momentum_dampening|"
        r"scale_by_momentum_nesterov|scale_by_rms_centered_bias|"
        r"scale_by_schedule_step_decay|scale_by_trust_ratio_min_norm|"
        r"schedule_free_adamw_wd_warmup|schedule_free_sgd_wd_warmup|"
        r"schedule_free_wrap_sgd_schedule|sgd_momentum_wd|torch_adagrad|torch_rmsprop|"
        r"torch_sgd)[\]-]",
    ),
    ("tests/test_compat_torch.py", r"test_golden_trajectory\[(?!\w+_default-)\w+-no_jit\]"),
    ("tests/test_schedules_base.py", r"test_all_schedules_scalar_and_array\[no_jit\]"),
    ("tests/test_schedules_peers.py", r"test_restart_cycle_exact_at_any_int32_count"),
    ("tests/test_schedules_properties.py", r"test_schedule_properties"),
    ("tests/test_lr_free_mechanic.py", r"test_vmap_over_s_decay_and_inject_hyperparams"),
    ("tests/test_finder.py", r"test_noisy_losses_suggestion_is_stable_across_seeds"),
    ("tests/test_compat_hf.py", r"test_jit_equals_no_jit"),
    ("tests/test_transforms_partition.py", r"test_groups_equal_separate_optimizers\[(?!lrx-jit)"),
    ("tests/test_transforms_factored.py", r"test_literal_swap_matches_optax\[kw[1-9]"),
    ("tests/test_transforms_factored.py", r"test_matches_float64_reference\[(?!0-jit)"),
    ("tests/test_schedules_warmup.py", r"test_hard_restarts_(grid|property)"),
    ("tests/test_schedules_data.py", r"test_torch_chained_and_multiplicative"),
    ("tests/test_optimizers.py", r"test_every_learning_rate_kind\[(?!adam-)"),
    (
        "tests/test_transforms_plateau.py",
        r"test_(observe_with_per_step_updates|update_with_value)_matches_torch\[(?!defaults-)",
    ),
    (
        "tests/test_optimizers_layerwise.py",
        r"test_literal_swap_matches_optax_golden\[(?!\w+_default)",
    ),
    ("tests/test_dtypes.py", r"test_dtype_table_row\[(?!adam_amsgrad-)"),
    ("tests/test_compat_hf.py", r"test_matches_transformers_golden\[(?!hf_default)"),
    ("tests/test_schedules_warmup.py", r"test_warmup_cosine_matches_optax\[(?!0\.1-)"),
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rules = [(re.compile(f), re.compile(t)) for f, t in _SLOW_IN_CI_ONLY]
    for item in items:
        path, _, name = item.nodeid.partition("::")
        if any(f.fullmatch(path) and t.match(name) for f, t in rules):
            item.add_marker(pytest.mark.slow)


# The golden-value generators are scripts run with the peers installed
# (`python tests/reference/generate.py`), not test modules: not collected (no doctests there,
# and some import torch at the top).
collect_ignore_glob = ["reference/gen_*.py", "reference/generate.py"]
