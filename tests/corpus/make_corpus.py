#!/usr/bin/python3
"""Write the malformed-input corpus for attn_hpc's error-handling tests.

Usage: make_corpus.py OUTDIR

Every case starts from one small valid input (B=1, T=12, C=16, H=4, G=2,
D=4, all optional datasets present) and breaks exactly one thing, so the
engine's error line has one obvious dataset or attribute to name. Where two
names are equally at fault (head_dim against /wq, say) the pattern accepts
either.

OUTDIR receives:
  cases/*.h5 ...    the malformed inputs
  valid.h5          the untouched base input (baseline and argument tests)
  valid_t2.h5       a valid input with T=2 (more sequence blocks than tokens)
  manifest.tsv      name <TAB> path (relative to OUTDIR) <TAB> expected exit
                    <TAB> extended regex (grep -E) the error line must match

Expected exits follow the engine's contract: 4 for I/O failures (not an
HDF5 file, empty, truncated, a folder, missing), 3 for schema violations.
Needs numpy and h5py (Debian: /usr/bin/python3).
"""

import os
import re
import shutil
import sys

import h5py
import numpy as np

EXIT_BAD_INPUT = 3
EXIT_IO = 4

B, T, C, H, G = 1, 12, 16, 4, 2
D = C // H


def base_arrays(t=T, seed=20240611):
    """The datasets of a valid input, float32, seeded."""
    rng = np.random.default_rng(seed)

    def r(*shape, scale=0.25):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    return {
        "x": r(B, t, C, scale=1.0),
        "wq": r(H * D, C),
        "wk": r(G * D, C),
        "wv": r(G * D, C),
        "wo": r(C, H * D),
        "bq": r(H * D, scale=0.1),
        "bk": r(G * D, scale=0.1),
        "bv": r(G * D, scale=0.1),
        "bo": r(C, scale=0.1),
        "norm_weight": (1.0 + r(C, scale=0.1)).astype(np.float32),
        "norm_bias": r(C, scale=0.1),
    }


def base_attrs():
    """Root attributes of a valid input (integers as int32, strings vlen)."""
    return {
        "num_heads": np.int32(H),
        "num_kv_heads": np.int32(G),
        "causal": np.int32(0),
        "norm": "layernorm",
        "norm_position": "post",
        "norm_eps": np.float64(1e-5),
        "residual": np.int32(1),
    }


def write_h5(path, data, attrs):
    """Write datasets and root attributes; a value of None means 'leave out'."""
    with h5py.File(path, "w") as f:
        for name, value in data.items():
            if value is None:
                continue
            if isinstance(value, Group):
                f.create_group(name)
            else:
                f.create_dataset(name, data=value)
        for name, value in attrs.items():
            if value is None:
                continue
            if isinstance(value, FixedString):
                f.attrs.create(name, np.bytes_(value.text),
                               dtype=h5py.string_dtype("ascii", len(value.text) or 1))
            else:
                f.attrs[name] = value


class Group:
    """Marker: create an HDF5 group where a dataset belongs."""


class FixedString:
    """Marker: write a fixed-length (not variable-length) string attribute."""

    def __init__(self, text):
        self.text = text


def nonfinite(name, index, value):
    """Base datasets with one element of `name` set to NaN or +-Inf."""
    data = base_arrays()
    arr = data[name].copy()
    arr[index] = value
    data[name] = arr
    return data


def with_data(**changes):
    data = base_arrays()
    data.update(changes)
    return data


def with_attrs(**changes):
    attrs = base_attrs()
    attrs.update(changes)
    return attrs


def kv_shaped(g):
    """Base datasets with /wk /wv /bk /bv resized for g key/value heads."""
    rng = np.random.default_rng(7)
    rows = max(g, 0) * D
    return with_data(
        wk=rng.standard_normal((rows, C)).astype(np.float32),
        wv=rng.standard_normal((rows, C)).astype(np.float32),
        bk=np.zeros(rows, np.float32),
        bv=np.zeros(rows, np.float32))


def schema_cases():
    """(name, datasets, attributes, regex) for every schema violation."""
    f32 = np.float32
    rng = np.random.default_rng(99)

    def rnd(*shape):
        return rng.standard_normal(shape).astype(f32)

    no_kv = dict(num_kv_heads=None)  # G defaults to H: keeps num_heads cases single-fault
    cases = []
    add = lambda name, data, attrs, regex: cases.append((name, data, attrs, regex))

    # Required datasets missing.
    for ds in ("x", "wq", "wk", "wv", "wo"):
        add(f"missing_{ds}", with_data(**{ds: None}), base_attrs(), rf"/{ds}\b")

    # Wrong rank or shape.
    add("x_rank1", with_data(x=rnd(C)), base_attrs(), r"/x\b")
    add("x_rank4", with_data(x=rnd(1, B, T, C)), base_attrs(), r"/x\b")
    add("x_T0", with_data(x=np.zeros((B, 0, C), f32)), base_attrs(), r"/x\b")
    add("x_B0", with_data(x=np.zeros((0, T, C), f32)), base_attrs(), r"/x\b")
    # C = 0 with every other dataset consistently empty: only /x's size is at fault.
    add("x_C0", {
        "x": np.zeros((B, T, 0), f32),
        "wq": np.zeros((0, 0), f32), "wk": np.zeros((0, 0), f32),
        "wv": np.zeros((0, 0), f32), "wo": np.zeros((0, 0), f32),
    }, with_attrs(num_kv_heads=None), r"/x\b")
    add("wq_rank1", with_data(wq=rnd(H * D * C)), base_attrs(), r"/wq\b")
    add("wq_rank3", with_data(wq=rnd(1, H * D, C)), base_attrs(), r"/wq\b")
    add("wq_cols", with_data(wq=rnd(H * D, C - 1)), base_attrs(), r"/wq\b")
    add("wq_rows", with_data(wq=rnd(H * D - 1, C)), base_attrs(), r"/wq\b")
    add("wk_cols", with_data(wk=rnd(G * D, C + 1)), base_attrs(), r"/wk\b")
    add("wk_rows", with_data(wk=rnd(G * D + 4, C)), base_attrs(), r"/wk\b")
    add("wv_rows", with_data(wv=rnd(G * D - 1, C)), base_attrs(), r"/wv\b")
    add("wv_transposed", with_data(wv=rnd(C, G * D)), base_attrs(), r"/wv\b")
    add("wo_rows", with_data(wo=rnd(C - 1, H * D)), base_attrs(), r"/wo\b")
    add("wo_cols", with_data(wo=rnd(C, H * D + 1)), base_attrs(), r"/wo\b")
    add("bq_len", with_data(bq=rnd(H * D - 1)), base_attrs(), r"/bq\b")
    add("bq_rank2", with_data(bq=rnd(1, H * D)), base_attrs(), r"/bq\b")
    add("bk_len", with_data(bk=rnd(G * D + 1)), base_attrs(), r"/bk\b")
    add("bv_len", with_data(bv=rnd(G * D - 1)), base_attrs(), r"/bv\b")
    add("bo_len", with_data(bo=rnd(C + 1)), base_attrs(), r"/bo\b")
    add("norm_weight_len", with_data(norm_weight=rnd(C - 1)), base_attrs(), r"/norm_weight\b")
    add("norm_weight_rank2", with_data(norm_weight=rnd(C, 1)), base_attrs(), r"/norm_weight\b")
    add("norm_bias_len", with_data(norm_bias=rnd(C + 1)), base_attrs(), r"/norm_bias\b")

    # Wrong kind of object or element type.
    strings = np.full((G * D, C), b"1.0", dtype="S3")
    add("wk_string_dataset", with_data(wk=strings), base_attrs(), r"/wk\b")
    vlen = np.array(["0.5"] * C, dtype=h5py.string_dtype())
    add("bo_vlen_string_dataset", with_data(bo=vlen), base_attrs(), r"/bo\b")
    add("wv_is_group", with_data(wv=Group()), base_attrs(), r"/wv\b")

    # Non-finite values. Placed in the last rows/heads so that at several
    # ranks only some ranks see them: the ranks must still agree and stop.
    add("x_nan", nonfinite("x", (0, T - 1, C - 1), np.nan), base_attrs(), r"/x\b")
    add("x_neg_inf", nonfinite("x", (0, T // 2, 3), -np.inf), base_attrs(), r"/x\b")
    add("wq_inf", nonfinite("wq", (H * D - 1, 0), np.inf), base_attrs(), r"/wq\b")
    add("wv_nan", nonfinite("wv", (G * D - 1, C - 1), np.nan), base_attrs(), r"/wv\b")
    add("wo_inf", nonfinite("wo", (C - 1, H * D - 1), np.inf), base_attrs(), r"/wo\b")
    add("bq_nan", nonfinite("bq", (H * D - 1,), np.nan), base_attrs(), r"/bq\b")
    add("bk_neg_inf", nonfinite("bk", (G * D - 1,), -np.inf), base_attrs(), r"/bk\b")
    add("bo_inf", nonfinite("bo", (C - 1,), np.inf), base_attrs(), r"/bo\b")
    add("norm_weight_nan", nonfinite("norm_weight", (C - 1,), np.nan), base_attrs(),
        r"/norm_weight\b")
    add("norm_bias_inf", nonfinite("norm_bias", (0,), np.inf), base_attrs(), r"/norm_bias\b")
    # float64 storage: the check must see the value before or after conversion.
    x64 = base_arrays()["x"].astype(np.float64)
    x64[0, 1, 1] = np.nan
    add("x_float64_nan", with_data(x=x64), base_attrs(), r"/x\b")
    # Finite in the file but beyond float32: becomes Inf on conversion.
    x64big = base_arrays()["x"].astype(np.float64)
    x64big[0, T - 1, 0] = 1e39
    add("x_float64_overflow", with_data(x=x64big), base_attrs(), r"/x\b")

    # num_heads.
    add("num_heads_missing", base_arrays(), with_attrs(num_heads=None, **no_kv), r"num_heads")
    add("num_heads_zero", base_arrays(), with_attrs(num_heads=np.int32(0), **no_kv), r"num_heads")
    add("num_heads_negative", base_arrays(), with_attrs(num_heads=np.int32(-4), **no_kv),
        r"num_heads")
    add("num_heads_not_dividing_C", base_arrays(), with_attrs(num_heads=np.int32(3), **no_kv),
        r"num_heads|head_dim")
    add("num_heads_string", base_arrays(), with_attrs(num_heads="4", **no_kv), r"num_heads")
    add("num_heads_float", base_arrays(), with_attrs(num_heads=np.float64(4.0), **no_kv),
        r"num_heads")
    # 2**32 + 4 truncated to a 32-bit int would read as a valid 4.
    add("num_heads_int64_wrap", base_arrays(),
        with_attrs(num_heads=np.int64(2**32 + H), **no_kv), r"num_heads")
    add("num_kv_heads_uint64_max", base_arrays(),
        with_attrs(num_kv_heads=np.uint64(2**64 - 1)), r"num_kv_heads")
    add("num_heads_array", base_arrays(),
        with_attrs(num_heads=np.array([4, 4], np.int32), **no_kv), r"num_heads")

    # num_kv_heads (K/V datasets resized to match, so only the attribute is wrong).
    add("num_kv_heads_zero", kv_shaped(0), with_attrs(num_kv_heads=np.int32(0)),
        r"num_kv_heads")
    add("num_kv_heads_negative", base_arrays(), with_attrs(num_kv_heads=np.int32(-2)),
        r"num_kv_heads")
    add("num_kv_heads_not_dividing", kv_shaped(3), with_attrs(num_kv_heads=np.int32(3)),
        r"num_kv_heads")
    add("num_kv_heads_above_H", kv_shaped(8), with_attrs(num_kv_heads=np.int32(8)),
        r"num_kv_heads")

    # head_dim.
    add("head_dim_vs_wq", base_arrays(), with_attrs(head_dim=np.int32(8)), r"head_dim|/wq\b")
    add("head_dim_int64_wrap", base_arrays(), with_attrs(head_dim=np.int64(2**32 + D)),
        r"head_dim|/wq\b")
    add("head_dim_zero", base_arrays(), with_attrs(head_dim=np.int32(0)), r"head_dim")
    add("head_dim_negative", base_arrays(), with_attrs(head_dim=np.int32(-4)), r"head_dim")

    # Flags and strings.
    add("causal_2", base_arrays(), with_attrs(causal=np.int32(2)), r"causal")
    add("causal_negative", base_arrays(), with_attrs(causal=np.int32(-1)), r"causal")
    add("causal_string", base_arrays(), with_attrs(causal="1"), r"causal")
    add("residual_5", base_arrays(), with_attrs(residual=np.int32(5)), r"residual")
    add("norm_unknown", base_arrays(), with_attrs(norm="batchnorm"), r"\bnorm\b")
    add("norm_unknown_fixed_string", base_arrays(), with_attrs(norm=FixedString("groupnorm")),
        r"\bnorm\b")
    add("norm_empty", base_arrays(), with_attrs(norm=""), r"\bnorm\b")
    add("norm_integer", base_arrays(), with_attrs(norm=np.int32(1)), r"\bnorm\b")
    add("norm_position_unknown", base_arrays(), with_attrs(norm_position="middle"),
        r"norm_position")
    add("norm_position_integer", base_arrays(), with_attrs(norm_position=np.int32(0)),
        r"norm_position")

    # Floating-point attributes.
    add("norm_eps_negative", base_arrays(), with_attrs(norm_eps=np.float64(-1e-5)), r"norm_eps")
    add("norm_eps_nan", base_arrays(), with_attrs(norm_eps=np.float64(np.nan)), r"norm_eps")
    add("norm_eps_inf", base_arrays(), with_attrs(norm_eps=np.float64(np.inf)), r"norm_eps")
    add("norm_eps_string", base_arrays(), with_attrs(norm_eps="1e-5"), r"norm_eps")
    add("softmax_scale_nan", base_arrays(), with_attrs(softmax_scale=np.float32(np.nan)),
        r"softmax_scale")
    add("softmax_scale_inf", base_arrays(), with_attrs(softmax_scale=np.float64(np.inf)),
        r"softmax_scale")
    add("softmax_scale_neg_inf", base_arrays(), with_attrs(softmax_scale=np.float64(-np.inf)),
        r"softmax_scale")
    return cases


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: make_corpus.py OUTDIR\n")
        return 2
    out = argv[1]
    cases_dir = os.path.join(out, "cases")
    if os.path.isdir(cases_dir):
        shutil.rmtree(cases_dir)  # stale cases from an older corpus must not linger
    os.makedirs(cases_dir)

    rows = []  # (name, relative path, exit code, regex)

    def rel(name, ext=".h5"):
        return os.path.join("cases", name + ext)

    # Valid inputs used by the runner's baseline and argument tests.
    write_h5(os.path.join(out, "valid.h5"), base_arrays(), base_attrs())
    write_h5(os.path.join(out, "valid_t2.h5"), base_arrays(t=2), base_attrs())

    # I/O failures: the error line should name the file.
    def io_case(name, path):
        rows.append((name, path, EXIT_IO, re.escape(os.path.basename(path))))

    p = rel("not_hdf5")
    with open(os.path.join(out, p), "w") as f:
        f.write("this is a text file, not HDF5\n" * 20)
    io_case("not_hdf5_text", p)

    p = rel("empty")
    open(os.path.join(out, p), "wb").close()
    io_case("empty_file", p)

    p = rel("truncated")
    with open(os.path.join(out, "valid.h5"), "rb") as f:
        blob = f.read()
    with open(os.path.join(out, p), "wb") as f:
        f.write(blob[: len(blob) // 2])
    io_case("truncated_hdf5", p)

    p = rel("superblock_only")
    with open(os.path.join(out, p), "wb") as f:
        f.write(blob[:64])
    io_case("truncated_to_64_bytes", p)

    p = rel("folder")
    os.makedirs(os.path.join(out, p))
    io_case("folder", p)

    p = rel("does_not_exist")
    io_case("missing_path", p)

    # Schema violations.
    for name, data, attrs, regex in schema_cases():
        p = rel(name)
        write_h5(os.path.join(out, p), data, attrs)
        rows.append((name, p, EXIT_BAD_INPUT, regex))

    names = [r[0] for r in rows]
    assert len(names) == len(set(names)), "duplicate case names"
    assert not os.path.exists(os.path.join(out, rel("does_not_exist")))

    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.write("# name\tpath\texpected_exit\terror_regex (grep -E)\n")
        for name, path, code, regex in rows:
            assert "\t" not in regex and "\n" not in regex
            f.write(f"{name}\t{path}\t{code}\t{regex}\n")
    print(f"make_corpus: {len(rows)} cases in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
