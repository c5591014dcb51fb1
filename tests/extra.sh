#!/usr/bin/env bash
# extra.sh: end-to-end properties beyond the grid sweep.
#   extra.sh determinism BUILD WORK   same grid + threads twice -> bit-identical /y
#   extra.sh split BUILD WORK         tiny MPI-IO and MPI message limits force the
#                                     split transfer paths; result unchanged
#   extra.sh override BUILD WORK      --causal / --no-causal override the file
#   extra.sh output BUILD WORK        output schema, provenance, h5py/h5dump readable
#   extra.sh memory BUILD WORK        one rank, T = 16384: peak memory far below T^2
#   extra.sh timing BUILD WORK        --timing: written with the output or not at all;
#                                     same path as -o refused; a device written directly
#   extra.sh foreign BUILD WORK       an input written by h5py as other programs do:
#                                     gzip/lzf chunks, float16, big-endian, float64,
#                                     small integer and boolean attributes, byte strings
set -euo pipefail
mode=$1 build=$2 work=$3
: "${PYTHON:=/usr/bin/python3}"
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 HDF5_USE_FILE_LOCKING=FALSE OMP_NUM_THREADS=1
MPIRUN=${MPIRUN:-mpirun}
work=$work/$mode
rm -rf "$work" && mkdir -p "$work" && cd "$work"
run() { "$MPIRUN" -n "$@" </dev/null; }
gen() { "$build/attn_gen" "$@" >/dev/null; }

case $mode in
determinism)
  gen -o in.h5 -B 2 -T 45 -C 48 -H 6 -G 3 --causal 1 --seed 21
  for t in 1 2; do
    run 3 "$build/attn_hpc" -q -t $t --grid 3x1 -o a$t.h5 in.h5
    run 3 "$build/attn_hpc" -q -t $t --grid 3x1 -o b$t.h5 in.h5
    h5diff --exclude-path /provenance a$t.h5 b$t.h5
    run 4 "$build/attn_hpc" -q -t $t --grid 1x4 -o c$t.h5 in.h5
    run 4 "$build/attn_hpc" -q -t $t --grid 1x4 -o d$t.h5 in.h5
    h5diff --exclude-path /provenance c$t.h5 d$t.h5
  done
  # A different grid is not bit-identical in general, but within tolerance.
  "$build/attn_compare" c1.h5 a1.h5 >/dev/null
  echo "determinism: identical /y for repeated runs at grids 3x1 and 1x4, 1 and 2 threads"
  ;;
split)
  gen -o in.h5 -B 2 -T 40 -C 32 -H 4 -G 2 --causal 1 --seed 22
  run 1 "$build/attn_hpc" -q -o one.h5 in.h5
  # 64-byte MPI-IO pieces and 10-float messages: hundreds of calls per rank,
  # uneven across ranks, which must still pair up collectively.
  ATTN_IO_MAX_BYTES=64 ATTN_MPI_MAX_COUNT=10 run 4 "$build/attn_hpc" -q --grid 2x2 -o split.h5 in.h5
  "$build/attn_compare" split.h5 one.h5
  ATTN_IO_MAX_BYTES=64 ATTN_MPI_MAX_COUNT=10 run 3 "$build/attn_hpc" -q --grid 1x3 -o split3.h5 in.h5
  "$build/attn_compare" split3.h5 one.h5
  "$PYTHON" "$here/reference.py" in.h5 --check split.h5
  ;;
override)
  gen -o in.h5 -B 1 -T 33 -C 32 -H 4 --seed 23 # causal attribute absent -> 0
  run 2 "$build/attn_hpc" -q --causal -o c.h5 in.h5
  "$PYTHON" "$here/reference.py" in.h5 --causal 1 --check c.h5
  if "$PYTHON" "$here/reference.py" in.h5 --causal 0 --check c.h5 >/dev/null; then
    echo "FAIL: --causal output matches the non-causal reference"; exit 1
  fi
  gen -o inc.h5 -B 1 -T 33 -C 32 -H 4 --causal 1 --seed 23
  run 2 "$build/attn_hpc" -q --no-causal -o n.h5 inc.h5
  "$PYTHON" "$here/reference.py" inc.h5 --causal 0 --check n.h5
  "$PYTHON" - n.h5 <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert int(f.attrs["causal"]) == 0, "resolved causal attribute must record the override"
PY
  ;;
output)
  gen -o in.h5 -T 20 -C 16 -H 2 --rank2 --norm rmsnorm --seed 24
  run 2 "$build/attn_hpc" -q -t 1 -o out.h5 in.h5
  [ ! -e in.out.h5 ]
  run 1 "$build/attn_hpc" -q in.h5 # default name in the current folder
  [ -f in.out.h5 ]
  h5dump -H out.h5 >/dev/null
  ls -A | grep -q '\.tmp\.' && { echo "FAIL: temporary file left"; exit 1; }
  "$PYTHON" - out.h5 "$PWD/in.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
y = f["y"]
assert y.shape == (20, 16) and y.dtype == np.float32, (y.shape, y.dtype)
want = {"num_heads": 2, "num_kv_heads": 2, "head_dim": 8, "causal": 0, "residual": 1}
for k, v in want.items():
    assert int(f.attrs[k]) == v, (k, f.attrs[k])
def s(v):
    return v.decode() if isinstance(v, bytes) else str(v)
assert s(f.attrs["norm"]) == "rmsnorm" and s(f.attrs["norm_position"]) == "post"
assert abs(float(f.attrs["softmax_scale"]) - 8 ** -0.5) < 1e-12
assert abs(float(f.attrs["norm_eps"]) - 1e-5) < 1e-15
p = f["provenance"].attrs
assert s(p["software"]) == "attn_hpc" and int(p["ranks"]) == 2 and s(p["grid"]) in ("2x1", "1x2")
assert int(p["threads_per_rank"]) == 1 and s(p["input"]) == sys.argv[2]
for k in ("version", "source_revision", "command_line", "utc_time"):
    assert s(p[k]), k
print("output: schema, configuration and provenance as specified")
PY
  ;;
memory)
  gen -o in.h5 -B 1 -T 16384 -C 256 -H 4 --seed 25
  run 1 "$build/attn_hpc" -q -t 2 --timing t.json -o out.h5 in.h5
  "$PYTHON" - t.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
peak = max(r["peak_rss_bytes"])
scores = 16384 * 16384 * 4
print(f"memory: peak resident {peak / 2**20:.1f} MiB; one T x T float matrix {scores / 2**20:.0f} MiB")
assert peak < scores / 4, "peak memory must stay far below one T x T score matrix"
PY
  ;;
timing)
  gen -o in.h5 -T 20 -C 16 -H 2 --seed 26
  umask 022
  run 2 "$build/attn_hpc" -q -o y.h5 --timing t.json in.h5
  "$PYTHON" -c "import json,sys; r=json.load(open('t.json')); assert r['ranks'] == 2, r"
  [ "$(stat -c %a y.h5)" = 644 ] || { echo "FAIL: output mode $(stat -c %a y.h5), umask 022"; exit 1; }
  set +e
  run 2 "$build/attn_hpc" -q -o z.h5 --timing ./z.h5 in.h5 2>err1; rc1=$?
  run 2 "$build/attn_hpc" -q -o w.h5 --timing /dev/full in.h5 2>err2; rc2=$?
  set -e
  [ $rc1 -eq 2 ] && grep -q "same file" err1 || { echo "FAIL: --timing = -o: exit $rc1"; cat err1; exit 1; }
  [ $rc2 -eq 4 ] && grep -q "timing report" err2 || { echo "FAIL: --timing /dev/full: exit $rc2"; cat err2; exit 1; }
  [ -c /dev/full ] || { echo "FAIL: /dev/full is no longer a device"; exit 1; }
  left=$(ls -A | grep -v -x -e in.h5 -e y.h5 -e t.json -e err1 -e err2 || true)
  [ -z "$left" ] || { echo "FAIL: left behind: $left"; exit 1; }
  run 1 "$build/attn_hpc" -q -o v.h5 --timing /dev/stdout in.h5 | grep -q '"software": "attn_hpc"'
  ;;
foreign)
  "$PYTHON" - <<'PY'
import h5py, numpy as np
rng = np.random.default_rng(0)
B, T, C, H, G, D = 2, 23, 24, 6, 3, 5
with h5py.File("in.h5", "w") as f:
    f.create_dataset("x", data=rng.standard_normal((B, T, C)), compression="gzip", chunks=(1, 7, C))
    f.create_dataset("wq", data=(rng.standard_normal((H * D, C)) * 0.2).astype(">f4"))
    f.create_dataset("wk", data=(rng.standard_normal((G * D, C)) * 0.2).astype(np.float16))
    f.create_dataset("wv", data=rng.standard_normal((G * D, C)) * 0.2, compression="lzf")
    f.create_dataset("wo", data=rng.standard_normal((C, H * D)) * 0.2)
    f.create_dataset("bv", data=rng.standard_normal(G * D) * 0.1)
    f.create_dataset("norm_bias", data=rng.standard_normal(C) * 0.1)
    f.create_group("extra").create_dataset("ignored", data=np.arange(3))
    f.attrs["num_heads"] = np.uint8(H)
    f.attrs["num_kv_heads"] = np.int16(G)
    f.attrs["head_dim"] = D
    f.attrs["causal"] = True
    f.attrs["norm"] = np.bytes_("rmsnorm")
    f.attrs["norm_position"] = "pre"
    f.attrs["softmax_scale"] = np.float32(0.7)
    f.attrs["comment"] = "attributes outside the schema are ignored"
PY
  for P in 1 3; do
    run $P "$build/attn_hpc" -q -o out$P.h5 in.h5
    "$PYTHON" "$here/reference.py" in.h5 --check out$P.h5
  done
  "$build/attn_compare" out3.h5 out1.h5
  ;;
*) echo "usage: extra.sh determinism|split|override|output|memory|timing|foreign BUILD WORK" >&2; exit 2 ;;
esac
echo "extra $mode: 1 passed, 0 failed"
