#!/usr/bin/python3
"""Independent float64 reference of the attn_hpc layer (contract sections 1-2).

Written from the contract only, never from the C engine, so that the engine's
end-to-end tests have an oracle that shares none of its code or mistakes.
Needs numpy and h5py only (Debian: /usr/bin/python3 with python3-numpy and
python3-h5py).

Usage:
  reference.py INPUT.h5 --out REF.h5
      write /y (float64, same shape as /x) and the resolved configuration
  reference.py INPUT.h5 --check OUT.h5 [--tol 2e-4]
      compare OUT.h5's /y with the reference: pass when every element has
      |a - b| <= tol * max(1, max|y_ref|)
  --causal 0|1 overrides the file's causal attribute (like attn_hpc's
  --causal / --no-causal).

Exit status: 0 pass (or --out written), 1 check failed, 2 error.
"""

import argparse
import math
import sys

import h5py
import numpy as np

PROG = "reference.py"


class InputError(Exception):
    pass


def _scalar(name, value):
    arr = np.asarray(value)
    if arr.size != 1:
        raise InputError(f"attribute {name} must be a scalar, got shape {arr.shape}")
    return arr.reshape(-1)[0]


def _int_attr(attrs, name, default):
    if name not in attrs:
        return default
    v = _scalar(name, attrs[name])
    # A boolean (h5py stores it as an enum over an integer) counts as 0 or 1.
    if not isinstance(v, (bool, np.bool_, int, np.integer)):
        raise InputError(f"attribute {name} must be an integer, got {v!r}")
    return int(v)


def _float_attr(attrs, name, default):
    if name not in attrs:
        return default
    v = _scalar(name, attrs[name])
    if isinstance(v, (bytes, str, np.bytes_, np.str_)):
        raise InputError(f"attribute {name} must be a number, got {v!r}")
    v = float(v)
    if not math.isfinite(v):
        raise InputError(f"attribute {name} must be finite, got {v}")
    return v


def _str_attr(attrs, name, default, choices):
    if name not in attrs:
        return default
    v = _scalar(name, attrs[name])
    if isinstance(v, (bytes, np.bytes_)):
        v = bytes(v).decode("ascii", errors="replace")
    if not isinstance(v, str):
        raise InputError(f"attribute {name} must be a string, got {v!r}")
    v = v.rstrip("\0 ")
    if v not in choices:
        raise InputError(f"attribute {name}: unknown value {v!r} (expected one of {choices})")
    return v


def _dataset(f, name, shape, required, default=None):
    if name not in f:
        if required:
            raise InputError(f"missing dataset /{name}")
        return default, False
    d = f[name]
    if not isinstance(d, h5py.Dataset):
        raise InputError(f"/{name} is not a dataset")
    if tuple(d.shape) != tuple(shape):
        raise InputError(f"dataset /{name} has shape {list(d.shape)}, expected {list(shape)}")
    a = np.asarray(d[()], dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise InputError(f"dataset /{name} contains non-finite values")
    return a, True


def load(path, causal_override=None):
    """Reads an input file and resolves every default. Returns (cfg, arrays)."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"cannot open '{path}': {e}")
    with f:
        if "x" not in f:
            raise InputError("missing dataset /x")
        xs = f["x"].shape
        if len(xs) == 3:
            B, T, C = xs
        elif len(xs) == 2:
            B, (T, C) = 1, xs
        else:
            raise InputError(f"dataset /x must be [B,T,C] or [T,C], got shape {list(xs)}")
        if min(B, T, C) <= 0:
            raise InputError(f"dataset /x has an empty dimension: {list(xs)}")
        a = f.attrs
        if "num_heads" not in a:
            raise InputError("missing attribute num_heads")
        H = _int_attr(a, "num_heads", None)
        if H < 1:
            raise InputError(f"attribute num_heads must be >= 1, got {H}")
        G = _int_attr(a, "num_kv_heads", H)
        if G < 1 or H % G != 0:
            raise InputError(f"attribute num_kv_heads = {G} must be >= 1 and divide num_heads = {H}")
        if "head_dim" in a:
            D = _int_attr(a, "head_dim", None)
            if D < 1:
                raise InputError(f"attribute head_dim must be >= 1, got {D}")
        else:
            if C % H != 0:
                raise InputError(f"num_heads = {H} does not divide C = {C} and head_dim is absent")
            D = C // H
        causal = _int_attr(a, "causal", 0)
        if causal not in (0, 1):
            raise InputError(f"attribute causal must be 0 or 1, got {causal}")
        if causal_override is not None:
            causal = causal_override
        residual = _int_attr(a, "residual", 1)
        if residual not in (0, 1):
            raise InputError(f"attribute residual must be 0 or 1, got {residual}")
        norm = _str_attr(a, "norm", "layernorm", ("layernorm", "rmsnorm", "none"))
        position = _str_attr(a, "norm_position", "post", ("post", "pre"))
        eps = _float_attr(a, "norm_eps", 1e-5)
        scale = _float_attr(a, "softmax_scale", 1.0 / math.sqrt(D))

        HD, GD = H * D, G * D
        arr = {}
        arr["x"], _ = _dataset(f, "x", xs, True)
        arr["x"] = arr["x"].reshape(B, T, C)
        arr["wq"], _ = _dataset(f, "wq", (HD, C), True)
        arr["wk"], _ = _dataset(f, "wk", (GD, C), True)
        arr["wv"], _ = _dataset(f, "wv", (GD, C), True)
        arr["wo"], _ = _dataset(f, "wo", (C, HD), True)
        arr["bq"], _ = _dataset(f, "bq", (HD,), False, np.zeros(HD))
        arr["bk"], _ = _dataset(f, "bk", (GD,), False, np.zeros(GD))
        arr["bv"], _ = _dataset(f, "bv", (GD,), False, np.zeros(GD))
        arr["bo"], _ = _dataset(f, "bo", (C,), False, np.zeros(C))
        arr["norm_weight"], _ = _dataset(f, "norm_weight", (C,), False, np.ones(C))
        arr["norm_bias"], has_beta = _dataset(f, "norm_bias", (C,), False, np.zeros(C))

    cfg = dict(B=B, T=T, C=C, H=H, G=G, D=D, causal=causal, residual=residual,
               norm=norm, norm_position=position, norm_eps=eps, softmax_scale=scale,
               has_norm_bias=has_beta, x_shape=tuple(xs))
    return cfg, arr


def normalize(u, cfg, arr):
    """Norm over the last axis (C) of u [..., C]."""
    w, beta, eps = arr["norm_weight"], arr["norm_bias"], cfg["norm_eps"]
    if cfg["norm"] == "layernorm":
        mean = u.mean(axis=-1, keepdims=True)
        var = ((u - mean) ** 2).mean(axis=-1, keepdims=True)  # biased
        return (u - mean) / np.sqrt(var + eps) * w + beta
    if cfg["norm"] == "rmsnorm":
        ms = (u * u).mean(axis=-1, keepdims=True)
        out = u / np.sqrt(ms + eps) * w
        return out + beta if cfg["has_norm_bias"] else out
    return u.copy()


def attention(u, cfg, arr):
    """Attn(u) for one sequence: u [T, C] -> o [T, C]."""
    T, H, G, D = cfg["T"], cfg["H"], cfg["G"], cfg["D"]
    q = u @ arr["wq"].T + arr["bq"]  # [T, H*D]
    k = u @ arr["wk"].T + arr["bk"]  # [T, G*D]
    v = u @ arr["wv"].T + arr["bv"]  # [T, G*D]
    mask = np.triu(np.ones((T, T), dtype=bool), k=1) if cfg["causal"] else None
    a = np.empty((T, H * D))
    for h in range(H):
        g = h // (H // G)
        qh = q[:, h * D:(h + 1) * D]
        kg = k[:, g * D:(g + 1) * D]
        vg = v[:, g * D:(g + 1) * D]
        s = cfg["softmax_scale"] * (qh @ kg.T)  # [T, T]
        if mask is not None:
            s[mask] = -np.inf
        m = s.max(axis=1, keepdims=True)  # finite: column 0 is never masked
        p = np.exp(s - m)
        p /= p.sum(axis=1, keepdims=True)
        a[:, h * D:(h + 1) * D] = p @ vg
    return a @ arr["wo"].T + arr["bo"]


def layer(cfg, arr):
    """The full layer in float64. Returns y with the shape of /x."""
    x = arr["x"]
    y = np.empty_like(x)
    for b in range(cfg["B"]):
        xb = x[b]
        if cfg["norm_position"] == "post":
            o = attention(xb, cfg, arr)
            y[b] = normalize(xb + o if cfg["residual"] else o, cfg, arr)
        else:
            o = attention(normalize(xb, cfg, arr), cfg, arr)
            y[b] = xb + o if cfg["residual"] else o
    return y.reshape(cfg["x_shape"])


def write_ref(path, y, cfg):
    with h5py.File(path, "w") as f:
        f.create_dataset("y", data=y)
        f.attrs["num_heads"] = np.int64(cfg["H"])
        f.attrs["num_kv_heads"] = np.int64(cfg["G"])
        f.attrs["head_dim"] = np.int64(cfg["D"])
        f.attrs["causal"] = np.int64(cfg["causal"])
        f.attrs["norm"] = cfg["norm"]
        f.attrs["norm_position"] = cfg["norm_position"]
        f.attrs["norm_eps"] = np.float64(cfg["norm_eps"])
        f.attrs["residual"] = np.int64(cfg["residual"])
        f.attrs["softmax_scale"] = np.float64(cfg["softmax_scale"])
        f.attrs["generator"] = "tests/reference.py (float64)"


def check(path, y_ref, tol):
    """Returns True when OUT's /y matches y_ref; prints the figures."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"cannot open '{path}': {e}")
    with f:
        if "y" not in f or not isinstance(f["y"], h5py.Dataset):
            raise InputError(f"no dataset /y in '{path}'")
        y = np.asarray(f["y"][()], dtype=np.float64)
    if y.shape != y_ref.shape:
        print(f"{PROG}: /y has shape {list(y.shape)}, reference has {list(y_ref.shape)}")
        print(f"{PROG}: FAIL (shape mismatch)")
        return False
    bound = tol * max(1.0, float(np.max(np.abs(y_ref))) if y_ref.size else 1.0)
    err = np.abs(y - y_ref)
    bad = ~(err <= bound)  # NaN counts as bad
    finite = np.isfinite(err)
    max_err = float(np.max(err[finite])) if finite.any() else float("nan")
    nbad = int(np.count_nonzero(bad))
    print(f"{PROG}: max abs error {max_err:.6g}, bound {bound:.6g} "
          f"(tol {tol:g} * max(1, max|y_ref| = {float(np.max(np.abs(y_ref))):.6g}))")
    if not finite.all():
        print(f"{PROG}: {int(np.count_nonzero(~finite))} non-finite elements in /y")
    verdict = "PASS" if nbad == 0 else "FAIL"
    print(f"{PROG}: {verdict} ({nbad} of {y.size} elements outside the bound)")
    return nbad == 0


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"{PROG}: error: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv):
    p = _Parser(prog=PROG, description="Independent float64 reference of the attn_hpc layer.")
    p.add_argument("input", help="input file (contract section 2)")
    p.add_argument("--out", metavar="REF.h5", help="write the reference /y here")
    p.add_argument("--check", metavar="OUT.h5", help="compare this file's /y with the reference")
    p.add_argument("--tol", type=float, default=2e-4,
                   help="pass when |a-b| <= tol*max(1, max|y_ref|) (default 2e-4)")
    p.add_argument("--causal", type=int, choices=(0, 1), default=None,
                   help="override the file's causal attribute")
    args = p.parse_args(argv)
    if not args.out and not args.check:
        p.error("give --out REF.h5 and/or --check OUT.h5")
    if not (args.tol >= 0 and math.isfinite(args.tol)):
        p.error("--tol must be a finite number >= 0")
    try:
        cfg, arr = load(args.input, args.causal)
        y = layer(cfg, arr)
        if args.out:
            try:
                write_ref(args.out, y, cfg)
            except OSError as e:
                raise InputError(f"cannot write '{args.out}': {e}")
        if args.check:
            return 0 if check(args.check, y, args.tol) else 1
    except InputError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
