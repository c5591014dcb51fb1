#!/usr/bin/env bash
# test_tools.sh: end-to-end tests of attn_gen, attn_compare and reference.py.
#
# Usage: tests/test_tools.sh TOOL_DIR
#   TOOL_DIR holds the attn_gen and attn_compare executables (the build dir).
# Needs hdf5-tools (h5dump, h5ls, h5diff) and a python with numpy and h5py
# (default /usr/bin/python3, override with PYTHON=...). Exits non-zero on the
# first failure, naming the check.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 TOOL_DIR" >&2
  exit 2
fi
TOOLS=$(cd "$1" && pwd)
GEN="$TOOLS/attn_gen"
CMP="$TOOLS/attn_compare"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REF="$HERE/reference.py"
PY=${PYTHON:-/usr/bin/python3}
for f in "$GEN" "$CMP"; do
  [[ -x $f ]] || { echo "FAIL: no executable $f" >&2; exit 1; }
done
for t in h5dump h5ls h5diff; do
  command -v "$t" >/dev/null || { echo "FAIL: $t not found (apt-get install hdf5-tools)" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/attn_tools.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

NCHECK=0
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { NCHECK=$((NCHECK + 1)); }

# run_status EXPECTED LOGFILE CMD...: runs CMD with stdout+stderr into LOGFILE
# and fails unless it exits with EXPECTED.
run_status() {
  local want=$1 log=$2
  shift 2
  local got=0
  "$@" >"$log" 2>&1 || got=$?
  if [[ $got -ne $want ]]; then
    echo "--- output of: $*" >&2
    cat "$log" >&2
    fail "expected exit $want, got $got: $*"
  fi
  pass
}

# shape FILE DATASET -> "2, 50, 48" (from h5ls)
shape() {
  h5ls "$1/$2" | sed -n 's/.*Dataset {\([^}]*\)}.*/\1/p' | sed 's|/[^,]*||g; s/ *$//'
}
expect_shape() {
  local got
  got=$(shape "$1" "$2")
  [[ $got == "$3" ]] || fail "$1 /$2: shape '$got', expected '$3'"
  pass
}
expect_absent() {
  if h5ls "$1/$2" >/dev/null 2>&1; then fail "$1: /$2 should not exist"; fi
  pass
}
# expect_attr FILE NAME VALUE: scalar attribute value as h5dump prints it
# (strings with their quotes).
expect_attr() {
  local got
  got=$(h5dump -a "/$2" "$1" 2>/dev/null | sed -n 's/^ *(0): //p')
  [[ $got == "$3" ]] || fail "$1 attribute $2 = '$got', expected '$3'"
  pass
}
expect_no_attr() {
  if h5dump -A "$1" | grep -q "ATTRIBUTE \"$2\""; then fail "$1: attribute $2 should not exist"; fi
  pass
}
expect_dtype() {
  h5dump -H -d "/$2" "$1" | grep -q "DATATYPE  $3" || fail "$1 /$2: type is not $3"
  pass
}
expect_grep() { # PATTERN FILE
  grep -q -- "$1" "$2" || { cat "$2" >&2; fail "'$1' not in output"; }
  pass
}

echo "== attn_gen: defaults"
run_status 0 log "$GEN" -o def.h5
expect_shape def.h5 x "1, 64, 64"
expect_shape def.h5 wq "64, 64"
expect_shape def.h5 wk "64, 64"
expect_shape def.h5 wv "64, 64"
expect_shape def.h5 wo "64, 64"
for b in bq bk bv bo; do expect_shape def.h5 $b "64"; done
expect_absent def.h5 norm_weight
expect_absent def.h5 norm_bias
expect_dtype def.h5 x H5T_IEEE_F32LE
expect_attr def.h5 num_heads 4
for a in num_kv_heads head_dim causal norm norm_position norm_eps residual softmax_scale; do
  expect_no_attr def.h5 $a
done

echo "== attn_gen: every option"
run_status 0 log "$GEN" -o full.h5 -B 2 -T 37 -C 48 -H 6 -G 2 -D 5 --causal 1 \
  --norm rmsnorm --norm-position pre --eps 1e-6 --residual 0 --scale 0.25 \
  --seed 7 --norm-params
expect_shape full.h5 x "2, 37, 48"
expect_shape full.h5 wq "30, 48"
expect_shape full.h5 wk "10, 48"
expect_shape full.h5 wv "10, 48"
expect_shape full.h5 wo "48, 30"
expect_shape full.h5 bq "30"
expect_shape full.h5 bk "10"
expect_shape full.h5 bv "10"
expect_shape full.h5 bo "48"
expect_shape full.h5 norm_weight "48"
expect_shape full.h5 norm_bias "48"
expect_attr full.h5 num_heads 6
expect_attr full.h5 num_kv_heads 2
expect_attr full.h5 head_dim 5
expect_attr full.h5 causal 1
expect_attr full.h5 norm '"rmsnorm"'
expect_attr full.h5 norm_position '"pre"'
expect_attr full.h5 norm_eps 1e-06
expect_attr full.h5 residual 0
expect_attr full.h5 softmax_scale 0.25
h5dump -a /num_heads full.h5 | grep -q H5T_STD_I64LE || fail "num_heads is not a 64-bit integer"
h5dump -a /norm full.h5 | grep -q 'STRSIZE 8;' || fail "norm is not a fixed-length string"
pass

echo "== attn_gen: no-bias, variable-length strings, causal 0, norm none"
run_status 0 log "$GEN" -o nob.h5 -T 16 -C 32 -H 2 --no-bias --vlen-strings --norm none --causal 0
for b in bq bk bv bo norm_weight norm_bias; do expect_absent nob.h5 $b; done
expect_attr nob.h5 norm '"none"'
expect_attr nob.h5 causal 0
h5dump -a /norm nob.h5 | grep -q 'STRSIZE H5T_VARIABLE' || fail "--vlen-strings did not write a variable-length string"
pass

echo "== attn_gen: determinism"
run_status 0 log "$GEN" -o s1a.h5 -B 2 -T 33 -C 24 -H 3 --seed 42
run_status 0 log "$GEN" -o s1b.h5 -B 2 -T 33 -C 24 -H 3 --seed 42
run_status 0 log "$GEN" -o s2.h5 -B 2 -T 33 -C 24 -H 3 --seed 43
run_status 0 log h5diff s1a.h5 s1b.h5
run_status 1 log h5diff s1a.h5 s2.h5
for d in x wq wk wv wo bq bk bv bo; do run_status 1 log h5diff s1a.h5 s2.h5 /$d /$d; done
# Dropping optional datasets leaves the others bit-identical.
run_status 0 log "$GEN" -o s1nb.h5 -B 2 -T 33 -C 24 -H 3 --seed 42 --no-bias --norm-params
for d in x wq wk wv wo; do run_status 0 log h5diff s1a.h5 s1nb.h5 /$d /$d; done

echo "== attn_gen: float64 and rank 2"
run_status 0 log "$GEN" -o f64.h5 -B 2 -T 33 -C 24 -H 3 --seed 42 --dtype float64
expect_dtype f64.h5 x H5T_IEEE_F64LE
expect_dtype f64.h5 wo H5T_IEEE_F64LE
# Same data up to float32 rounding.
run_status 0 log "$CMP" s1a.h5 f64.h5 --dataset /x --rtol 1e-6 --atol 0
run_status 0 log "$GEN" -o r2.h5 -T 20 -C 16 -H 2 --rank2
expect_shape r2.h5 x "20, 16"

echo "== attn_gen: data statistics"
"$PY" - <<'EOF' || fail "attn_gen data statistics"
import h5py, numpy as np
f = h5py.File("full.h5", "r")
x = f["x"][()]
assert abs(x.mean()) < 0.05 and 0.85 < x.var() < 1.15, (x.mean(), x.var())
for n, fan_in in (("wq", 48), ("wk", 48), ("wv", 48), ("wo", 30)):
    w = f[n][()]
    assert np.abs(w).max() <= 1 / np.sqrt(fan_in) + 1e-7, n
    assert np.abs(w).max() > 0.8 / np.sqrt(fan_in), n
nw = f["norm_weight"][()]
assert np.all(np.abs(nw - 1) <= 0.1 + 1e-7) and nw.std() > 0, nw
assert np.abs(f["bq"][()]).max() <= 0.1 + 1e-7
EOF
pass

echo "== attn_gen: errors"
gen_error() { # args...: must exit 2 with one attn_gen: error: line
  run_status 2 err.log "$GEN" "$@"
  expect_grep "^attn_gen: error: " err.log
}
gen_error -o bad.h5 -H 3                # H does not divide C
gen_error -o bad.h5 -H 4 -G 3           # G does not divide H
gen_error -o bad.h5 -H 0
gen_error -o bad.h5 -T 0
gen_error -o bad.h5 -B -1
gen_error -o bad.h5 -C abc
gen_error -o bad.h5 -B 2 --rank2
gen_error -o bad.h5 --causal 2
gen_error -o bad.h5 --residual yes
gen_error -o bad.h5 --norm batchnorm
gen_error -o bad.h5 --norm-position middle
gen_error -o bad.h5 --eps -1
gen_error -o bad.h5 --scale nan
gen_error -o bad.h5 --dtype float16
gen_error -o bad.h5 --seed -5
gen_error -o bad.h5 --no-such-option
gen_error -o bad.h5 stray-argument
gen_error -T 8
[[ ! -e bad.h5 ]] || fail "a failed attn_gen left bad.h5"
pass
run_status 0 log "$GEN" -o hd.h5 -C 64 -H 3 -D 7   # --head-dim lifts the divisibility rule
expect_shape hd.h5 wq "21, 64"
run_status 0 log "$GEN" --help
expect_grep "Usage: attn_gen" log
run_status 0 log "$GEN" --version

echo "== attn_gen: overwrite protection and atomic write"
cp s1a.h5 keep.h5
run_status 4 err.log "$GEN" -o keep.h5 --seed 9
expect_grep "^attn_gen: error: .*exists" err.log
run_status 0 log h5diff keep.h5 s1a.h5
run_status 0 log "$GEN" -o keep.h5 --seed 9 --force
run_status 1 log h5diff keep.h5 s1a.h5
expect_shape keep.h5 x "1, 64, 64"
run_status 4 err.log "$GEN" -o "$WORK/no/such/dir/out.h5"
expect_grep "^attn_gen: error: " err.log
if ls "$WORK"/*.tmp.* >/dev/null 2>&1; then fail "temporary files left behind"; fi
pass

echo "== reference.py"
run_status 0 log "$GEN" -o in3.h5 -B 2 -T 40 -C 32 -H 4 -G 2 --causal 1 --norm-params --seed 3
run_status 0 log "$PY" "$REF" in3.h5 --out ref3.h5
expect_shape ref3.h5 y "2, 40, 32"
run_status 0 log "$GEN" -o in2.h5 -T 24 -C 16 -H 2 --rank2 --norm rmsnorm --norm-position pre --seed 4
run_status 0 log "$PY" "$REF" in2.h5 --out ref2.h5
expect_shape ref2.h5 y "24, 16"
run_status 0 log "$PY" "$REF" in3.h5 --check ref3.h5
expect_grep "PASS" log
# An engine-like float32 copy passes; perturbed copies fail.
"$PY" - <<'EOF' || fail "making perturbed copies"
import h5py, numpy as np
y = h5py.File("ref3.h5", "r")["y"][()]
def save(name, data):
    with h5py.File(name, "w") as f:
        f["y"] = data
save("out32.h5", y.astype(np.float32))
p = y.copy(); p[1, 39, 31] += 0.01; save("pert.h5", p)
p = y.copy(); p[0, 5, 7] = np.nan; save("nan.h5", p)
p = y.copy(); p[0, 0, 0] += 1e-9; save("tiny.h5", p)
save("short.h5", y[:, :39, :])
save("rank2.h5", y[0])
EOF
run_status 0 log "$PY" "$REF" in3.h5 --check out32.h5
run_status 1 log "$PY" "$REF" in3.h5 --check pert.h5
expect_grep "FAIL" log
run_status 1 log "$PY" "$REF" in3.h5 --check nan.h5
run_status 1 log "$PY" "$REF" in3.h5 --check short.h5
run_status 0 log "$PY" "$REF" in3.h5 --check pert.h5 --tol 1e-2
# --causal overrides the file: the non-causal layer differs.
run_status 1 log "$PY" "$REF" in3.h5 --check ref3.h5 --causal 0
run_status 0 log "$PY" "$REF" in3.h5 --check ref3.h5 --causal 1
run_status 2 log "$PY" "$REF" missing.h5 --out x.h5
run_status 2 log "$PY" "$REF" in3.h5
run_status 2 log "$PY" "$REF" in3.h5 --check missing.h5
"$PY" - <<'EOF' || fail "making an input without num_heads"
import h5py
with h5py.File("in3.h5", "r") as s, h5py.File("nohead.h5", "w") as d:
    for k in s:
        d[k] = s[k][()]
EOF
run_status 2 log "$PY" "$REF" nohead.h5 --out x.h5
expect_grep "num_heads" log
# Sanity of the layer itself: post-layernorm rows with unit weight have mean 0, variance 1.
run_status 0 log "$PY" "$REF" def.h5 --out refdef.h5
"$PY" - <<'EOF' || fail "layernorm output statistics"
import h5py, numpy as np
y = h5py.File("refdef.h5", "r")["y"][()]
assert np.abs(y.mean(axis=-1)).max() < 1e-9
assert np.abs(y.var(axis=-1) - 1).max() < 1e-3
EOF
pass

echo "== reference.py against a naive scalar-loop twin (tiny cases)"
i=0
for opts in "-B 2 -T 5 -C 8 -H 2" \
            "-T 6 -C 12 -H 4 -G 2 --causal 1 --norm rmsnorm" \
            "-B 2 -T 4 -C 6 -H 3 -G 1 -D 5 --norm rmsnorm --norm-params --norm-position pre --residual 0" \
            "-T 7 -C 8 -H 4 --rank2 --norm none --scale 0.3 --causal 1 --no-bias" \
            "-B 2 -T 5 -C 8 -H 2 -D 3 --norm-params --eps 0.01 --residual 0 --dtype float64 --vlen-strings" \
            "-T 5 -C 8 -H 4 -G 2 --norm-position pre --norm-params --causal 1"; do
  i=$((i + 1))
  # shellcheck disable=SC2086
  run_status 0 log "$GEN" -o tiny$i.h5 --seed $((i + 10)) $opts
done
"$PY" - "$REF" <<'EOF' || fail "reference.py disagrees with its naive twin"
import importlib.util, math, sys
import h5py, numpy as np
spec = importlib.util.spec_from_file_location("reference", sys.argv[1])
R = importlib.util.module_from_spec(spec); spec.loader.exec_module(R)

def naive(path, causal_override):
    f = h5py.File(path, "r"); a = f.attrs
    x = f["x"][()].astype(float); r2 = x.ndim == 2
    if r2: x = x[None]
    B, T, C = x.shape
    H = int(a["num_heads"]); G = int(a.get("num_kv_heads", H))
    D = int(a["head_dim"]) if "head_dim" in a else C // H
    causal = int(a.get("causal", 0)) if causal_override is None else causal_override
    def s(n, d):
        if n not in a: return d
        v = a[n]; return v.decode() if isinstance(v, bytes) else str(v)
    norm, pos = s("norm", "layernorm"), s("norm_position", "post")
    eps = float(a.get("norm_eps", 1e-5)); res = int(a.get("residual", 1))
    sc = float(a.get("softmax_scale", 1 / math.sqrt(D)))
    g = lambda n, k, d: f[n][()].astype(float) if n in f else np.full(k, d)
    wq, wk, wv, wo = (f[n][()].astype(float) for n in ("wq", "wk", "wv", "wo"))
    bq, bk, bv, bo = g("bq", H * D, 0), g("bk", G * D, 0), g("bv", G * D, 0), g("bo", C, 0)
    w, beta, hasb = g("norm_weight", C, 1), g("norm_bias", C, 0), "norm_bias" in f
    def nrm(u):
        out = np.zeros_like(u)
        for t in range(u.shape[0]):
            r = u[t]
            if norm == "layernorm":
                m = sum(r) / C; v = sum((e - m) ** 2 for e in r) / C
                out[t] = [(r[c] - m) / math.sqrt(v + eps) * w[c] + beta[c] for c in range(C)]
            elif norm == "rmsnorm":
                ms = sum(e * e for e in r) / C
                out[t] = [r[c] / math.sqrt(ms + eps) * w[c] + (beta[c] if hasb else 0) for c in range(C)]
            else:
                out[t] = r
        return out
    def lin(u, W, b):
        return np.array([[sum(u[t, i] * W[o, i] for i in range(W.shape[1])) + b[o]
                          for o in range(W.shape[0])] for t in range(u.shape[0])])
    def attn(u):
        q, k, v = lin(u, wq, bq), lin(u, wk, bk), lin(u, wv, bv)
        cat = np.zeros((T, H * D))
        for h in range(H):
            gg = h // (H // G)
            for i in range(T):
                js = [j for j in range(T) if not (causal and j > i)]
                sco = {j: sc * sum(q[i, h * D + d] * k[j, gg * D + d] for d in range(D)) for j in js}
                mx = max(sco.values()); e = {j: math.exp(sco[j] - mx) for j in js}; Z = sum(e.values())
                for d in range(D):
                    cat[i, h * D + d] = sum(e[j] / Z * v[j, gg * D + d] for j in js)
        return lin(cat, wo, bo)
    y = np.zeros_like(x)
    for b in range(B):
        if pos == "post":
            o = attn(x[b]); y[b] = nrm(x[b] + o if res else o)
        else:
            o = attn(nrm(x[b])); y[b] = x[b] + o if res else o
    return y[0] if r2 else y

worst = 0.0
for i in range(1, 7):
    for co in (None, 0, 1):
        cfg, arr = R.load(f"tiny{i}.h5", co)
        yr, yn = R.layer(cfg, arr), naive(f"tiny{i}.h5", co)
        assert yr.shape == yn.shape, (i, yr.shape, yn.shape)
        worst = max(worst, float(np.max(np.abs(yr - yn))))
print("reference vs naive twin: max abs difference", worst)
assert worst < 1e-10, worst
EOF
pass

echo "== attn_compare"
run_status 0 log "$CMP" ref3.h5 ref3.h5
expect_grep "^attn_compare: PASS (0 of 2560 elements" log
expect_grep "max abs error" log
expect_grep "max rel error" log
expect_grep "rms error" log
run_status 0 log "$CMP" out32.h5 ref3.h5
run_status 0 log "$CMP" tiny.h5 ref3.h5
run_status 1 log "$CMP" pert.h5 ref3.h5
expect_grep "^attn_compare: FAIL (1 of 2560 elements" log
run_status 0 log "$CMP" pert.h5 ref3.h5 --atol 0.02
run_status 1 log "$CMP" nan.h5 ref3.h5 --rtol 1
run_status 1 log "$CMP" short.h5 ref3.h5
expect_grep "shape" log
run_status 1 log "$CMP" rank2.h5 ref3.h5
run_status 0 log "$CMP" s1a.h5 s1b.h5 --dataset /x
run_status 0 log "$CMP" s1a.h5 s1b.h5 --dataset wq
run_status 1 log "$CMP" s1a.h5 s2.h5 --dataset /x
cmp_error() {
  run_status 2 err.log "$CMP" "$@"
  expect_grep "^attn_compare: error: " err.log
}
cmp_error ref3.h5 missing.h5
cmp_error missing.h5 ref3.h5
cmp_error ref3.h5 ref3.h5 --dataset /nope
cmp_error s1a.h5 ref3.h5                 # no /y in s1a.h5
cmp_error ref3.h5
cmp_error ref3.h5 ref3.h5 ref3.h5
cmp_error ref3.h5 ref3.h5 --rtol abc
cmp_error ref3.h5 ref3.h5 --atol -1
cmp_error ref3.h5 ref3.h5 --bogus
echo "not hdf5" >junk.h5
cmp_error junk.h5 ref3.h5
run_status 0 log "$CMP" --help

echo "PASS: test_tools.sh ($NCHECK checks)"
