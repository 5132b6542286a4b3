#!/usr/bin/env bash
# Prove the Raspberry Pi install: install the core package on emulated Raspberry Pi OS Bookworm
# arm64 (QEMU user mode in a chroot) exactly as the README tells Pi users, read the same frames
# there and on this x86 machine, and require identical readings. See `--help`.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
PI_DIR="$SCRIPT_DIR/pi"

CACHE=/var/cache/mnist-edge-pi
ARTIFACTS="$REPO/artifacts"
HOST_PYTHON=""
FRAMES=8
MNIST_IMAGES=256
MIRROR=http://deb.debian.org/debian
SUITE=bookworm
# python3-numpy: Raspberry Pi OS ships apt's NumPy 1.24 (picamera2 is built against it); the camera
# venv below sees it through --system-site-packages.
ROOTFS_PACKAGES=python3,python3-venv,python3-pip,python3-numpy
QEMU_CPU_MODEL=cortex-a72
INSTALL_TOOLS=0
FRESH=0
PROBE_TIMEOUT_S=20
LOCK_TIMEOUT_S=3600
# Inside the rootfs: where the host work folder is bind-mounted, and where the venvs live.
GUEST_WORK=/mnt/mnist-edge
GUEST_HOME=/opt/mnist-edge
GUEST_PIP_CACHE=/var/cache/mnist-edge-pip

usage() {
  cat <<EOF
Usage: deploy/check-pi-arm64.sh [options]

Prove the Raspberry Pi install on emulated Raspberry Pi OS Bookworm arm64 (needs root).

Builds (or reuses, from --cache) a Debian Bookworm arm64 rootfs with debootstrap, builds this
repository's wheel on the host, and inside the rootfs (QEMU user mode, CPU $QEMU_CPU_MODEL = Pi 4,
a Pi 4 /proc/cpuinfo bind-mounted over the host's):
  1. makes a venv and pip-installs ONLY the core package, as the README's "Raspberry Pi" section says;
  2. runs \`python -m edge_app --headless\` with the int8 model on generated camera-like frames, and
     the Classifier on MNIST test images (when MNIST_DIR is set), and \`benchmarks/latency.py --quick\`;
  3. makes the Pi camera venv (--system-site-packages, \`pip install <wheel> "numpy<2"\`, which must
     keep apt's NumPy 1.24 that picamera2 needs) with tflite-runtime added, and repeats 2 there with
     \`--runtime tflite-runtime\` and \`--runtime litert\`.
The readings (text, digits, boxes; not latencies) must be identical to the x86 host's.
Last line on success: pi-arm64: OK <n> frames identical, runtime <name>, python <version>

If the Debian archive or the Python package index cannot be reached, it prints why and exits 0
(infrastructure, not our code). Exit 1: a check failed. Exit 2: bad usage or missing prerequisite.

Options (defaults in brackets):
  --cache DIR          rootfs, pip cache and logs, outside the repo [$CACHE]
  --artifacts DIR      folder with model_int8.tflite and manifest.json; if it has none, a small
                       model is trained and converted for the check (seed recipe, 1 epoch; needs
                       the train extra on the host python and MNIST_DIR) [$ARTIFACTS]
  --host-python PATH   x86 python with the project's dependencies [repo .venv, else python3]
  --frames N           synthetic frames to read [$FRAMES]
  --mirror URL         Debian mirror for debootstrap [$MIRROR]
  --qemu-cpu NAME      QEMU CPU model: cortex-a72 (Pi 4) or cortex-a76 (Pi 5) [$QEMU_CPU_MODEL]
  --fresh              reinstall the venvs from the package index even if cached ones match
  --install-tools      apt-get install qemu-user-static binfmt-support debootstrap if missing
  -h, --help           show this help and exit
EOF
}

die_usage() {
  echo "error: $1" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --cache | --artifacts | --host-python | --frames | --mirror | --qemu-cpu)
      [ $# -ge 2 ] || die_usage "$1 needs a value (see --help)"
      case "$1" in
        --cache) CACHE=$2 ;;
        --artifacts) ARTIFACTS=$2 ;;
        --host-python) HOST_PYTHON=$2 ;;
        --frames) FRAMES=$2 ;;
        --mirror) MIRROR=$2 ;;
        --qemu-cpu) QEMU_CPU_MODEL=$2 ;;
      esac
      shift 2 ;;
    --install-tools) INSTALL_TOOLS=1; shift ;;
    --fresh) FRESH=1; shift ;;
    *) die_usage "unknown option $1 (see --help)" ;;
  esac
done

[[ "$FRAMES" =~ ^[1-9][0-9]*$ ]] || die_usage "--frames must be a positive integer, got $FRAMES"
case "$QEMU_CPU_MODEL" in
  cortex-a72 | cortex-a76 | cortex-a53 | cortex-a57) ;;
  *) die_usage "--qemu-cpu must be a Pi core (cortex-a72, cortex-a76, cortex-a53), got $QEMU_CPU_MODEL" ;;
esac
[ "$(id -u)" -eq 0 ] || die_usage "needs root (debootstrap, chroot, mount): run it with sudo"
CACHE=$(realpath -m "$CACHE")
ARTIFACTS=$(realpath -m "$ARTIFACTS")
case "$CACHE/" in
  "$REPO"/*) die_usage "--cache $CACHE is inside the repository; keep the rootfs outside it" ;;
esac

ROOTFS="$CACHE/$SUITE-arm64"
ROOTFS_OK="$ROOTFS/.mnist-edge-rootfs-complete"
PARTIAL="$CACHE/$SUITE-arm64.partial"
LOGS="$CACHE/logs"
START_S=$SECONDS

say() { echo "pi-arm64: $*"; }
elapsed() { echo "$(((SECONDS - START_S) / 60))m$(((SECONDS - START_S) % 60))s"; }
fail() {
  echo "pi-arm64: FAIL $1" >&2
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    echo "---- last lines of $2 ----" >&2
    tail -n 30 "$2" >&2
  fi
  exit 1
}
# Infrastructure (network, mirror, package index) is not our code: say why and pass the step.
skip() {
  echo "pi-arm64: SKIP $1 (infrastructure, not our code)"
  exit 0
}

# ---- cleanup: every mount under the cache, deepest first, on any exit --------------------------
WORK=""
LOCKED=0
cleanup() {
  local status=$? mounts
  # Mounts under the cache belong to whoever holds the lock: never unmount another run's.
  [ "$LOCKED" = 1 ] || exit "$status"
  mounts=$(awk -v prefix="$CACHE/" 'index($2, prefix) == 1 {print $2}' /proc/self/mounts | sort -r)
  for m in $mounts; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "pi-arm64: could not unmount $m" >&2
  done
  [ -z "$WORK" ] || rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites ---------------------------------------------------------------------------
missing_tools() {
  local absent=()
  command -v debootstrap >/dev/null || absent+=(debootstrap)
  command -v qemu-aarch64-static >/dev/null || absent+=(qemu-user-static)
  command -v update-binfmts >/dev/null || absent+=(binfmt-support)
  echo "${absent[*]}"
}
missing=$(missing_tools)
if [ -n "$missing" ] && [ "$INSTALL_TOOLS" = 1 ]; then
  say "installing $missing"
  # shellcheck disable=SC2086 # one word per package
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) \
    >"/tmp/mnist-edge-pi-apt.log" 2>&1; then
    if grep -qiE "Could not resolve|Failed to fetch|Temporary failure|Unable to connect|Connection (timed out|refused)" \
      /tmp/mnist-edge-pi-apt.log; then
      skip "apt-get cannot reach the Debian archive to install $missing"
    fi
    fail "apt-get install $missing failed" /tmp/mnist-edge-pi-apt.log
  fi
  missing=$(missing_tools)
fi
[ -z "$missing" ] || die_usage "missing packages: $missing; install them with \`apt-get install $missing\` or pass --install-tools"
for tool in chroot mount umount flock realpath; do
  command -v "$tool" >/dev/null || die_usage "missing command $tool"
done

if [ -z "$HOST_PYTHON" ]; then
  if [ -x "$REPO/.venv/bin/python" ]; then HOST_PYTHON="$REPO/.venv/bin/python"; else HOST_PYTHON=python3; fi
fi
command -v "$HOST_PYTHON" >/dev/null || die_usage "--host-python $HOST_PYTHON not found"
"$HOST_PYTHON" -c "import numpy, cv2, ai_edge_litert" 2>/dev/null ||
  die_usage "--host-python $HOST_PYTHON lacks the core dependencies (numpy, opencv-python-headless, ai-edge-litert); pass a venv with \`pip install -e .\`"

# binfmt_misc lets the kernel hand arm64 executables to qemu-aarch64, so chroot runs them.
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
    die_usage "cannot mount binfmt_misc (in a container? run it on the host or a privileged one)"
fi
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
head -n 1 /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null | grep -q enabled ||
  die_usage "binfmt handler qemu-aarch64 is not enabled; try \`update-binfmts --enable qemu-aarch64\`"

mkdir -p "$CACHE" "$LOGS"
# Two runs sharing one rootfs (CI and a developer) would trip over each other's mounts and venvs.
exec 9>"$CACHE/.lock"
flock -w "$LOCK_TIMEOUT_S" 9 || fail "another check holds $CACHE/.lock for over $LOCK_TIMEOUT_S s"
LOCKED=1

url_reachable() {
  "$HOST_PYTHON" - "$1" "$PROBE_TIMEOUT_S" <<'EOF' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="HEAD"), timeout=float(sys.argv[2]))
EOF
}

# ---- 1. the rootfs (cached) ------------------------------------------------------------------
if [ -f "$ROOTFS_OK" ] && [ "$(cat "$ROOTFS_OK")" = "$ROOTFS_PACKAGES" ]; then
  say "reusing rootfs $ROOTFS"
else
  [ ! -f "$ROOTFS_OK" ] || say "the cached rootfs has other packages than $ROOTFS_PACKAGES: rebuilding it"
  url_reachable "$MIRROR/dists/$SUITE/Release" || skip "cannot reach the Debian mirror $MIRROR"
  say "building the $SUITE arm64 rootfs in $PARTIAL (about 8 minutes; cached afterwards)"
  rm -rf "$PARTIAL" "$ROOTFS"
  if ! debootstrap --arch=arm64 --variant=minbase --include="$ROOTFS_PACKAGES" \
    "$SUITE" "$PARTIAL" "$MIRROR" >"$LOGS/debootstrap.log" 2>&1; then
    if grep -qiE "Couldn't download|Failed getting release|Temporary failure|Could not resolve|Connection (timed out|refused)" \
      "$LOGS/debootstrap.log"; then
      skip "debootstrap could not download from $MIRROR (see $LOGS/debootstrap.log)"
    fi
    fail "debootstrap failed" "$LOGS/debootstrap.log"
  fi
  echo "$ROOTFS_PACKAGES" >"$PARTIAL/.mnist-edge-rootfs-complete"
  mv "$PARTIAL" "$ROOTFS"
  say "rootfs ready ($(du -sm --exclude=proc "$ROOTFS" | cut -f1) MB, $(elapsed))"
fi

# ---- 2. host side: wheel, model, frames, x86 readings ----------------------------------------
WORK=$(mktemp -d /tmp/mnist-edge-pi.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/src" "$WORK/wheel" "$WORK/artifacts" "$WORK/out"
# The x86 side runs the same source snapshot the wheel is built from (the tree may be changing).
host_py() { (cd "$WORK" && PYTHONPATH="$WORK/src" TF_CPP_MIN_LOG_LEVEL=2 "$HOST_PYTHON" "$@"); }

# Build from a copy of the source files so the build leaves no build/ or egg-info in the repo.
if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
    tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$WORK/src" -xf -
else
  tar -C "$REPO" --exclude=.git --exclude=.venv --exclude=artifacts --exclude=build -cf - . | tar -C "$WORK/src" -xf -
fi
"$HOST_PYTHON" -m pip wheel --no-deps --quiet -w "$WORK/wheel" "$WORK/src" >"$LOGS/wheel.log" 2>&1 ||
  fail "pip wheel of $REPO failed" "$LOGS/wheel.log"
WHEEL=$(cd "$WORK/wheel" && ls mnist_edge-*.whl)
say "built $WHEEL"

if [ -f "$ARTIFACTS/model_int8.tflite" ] && [ -f "$ARTIFACTS/manifest.json" ]; then
  say "using the models in $ARTIFACTS"
  # The .tflite variants and the manifest are what a Pi gets; model.keras stays on the build machine.
  cp "$ARTIFACTS"/*.tflite "$ARTIFACTS/manifest.json" "$WORK/artifacts/"
else
  say "NOTE: no model_int8.tflite + manifest.json in $ARTIFACTS: training a small model for this check"
  say "      (python -m train --recipe seed --epochs 1, then python -m convert; not a model to ship)"
  made="$WORK/made-artifacts"
  { host_py -m train --recipe seed --epochs 1 --out "$made" &&
    host_py -m convert --model "$made/model.keras" --out "$made"; } >"$LOGS/make-artifacts.log" 2>&1 ||
    fail "could not make an int8 model (needs the train extra and MNIST_DIR)" "$LOGS/make-artifacts.log"
  cp "$made"/*.tflite "$made/manifest.json" "$WORK/artifacts/"
fi

host_py -m synthetic --out "$WORK/frames" --count "$FRAMES" >"$LOGS/frames.log" 2>&1 ||
  fail "python -m synthetic failed" "$LOGS/frames.log"

# MNIST test images for the Classifier-level check, when the data is here (CI has MNIST_DIR).
have_mnist=0
if host_py - "$WORK/mnist.npy" "$MNIST_IMAGES" <<'EOF' >"$LOGS/mnist.log" 2>&1; then have_mnist=1; fi
import sys
import numpy as np
from train.data import load_mnist
np.save(sys.argv[1], load_mnist().x_test[: int(sys.argv[2])])
EOF
[ "$have_mnist" = 1 ] || say "no MNIST test images (set MNIST_DIR): skipping the Classifier-level check"
cp "$PI_DIR/classify_npy.py" "$WORK/"
# latency.py imports the benchmarks package beside it and edge_app from the installed wheel.
[ ! -f "$REPO/benchmarks/latency.py" ] || cp -r "$WORK/src/benchmarks" "$WORK/benchmarks"

APP_ARGS=(--source frames --model artifacts/model_int8.tflite --headless)
host_py -m edge_app "${APP_ARGS[@]}" >"$WORK/out/x86.jsonl" 2>"$LOGS/x86-app.log" ||
  fail "python -m edge_app --headless failed on x86" "$LOGS/x86-app.log"
if [ "$have_mnist" = 1 ]; then
  host_py classify_npy.py --model artifacts/model_int8.tflite --images mnist.npy --out out/x86.npy \
    >"$LOGS/x86-classify.log" 2>&1 || fail "classify_npy.py failed on x86" "$LOGS/x86-classify.log"
fi
say "x86 readings done ($(elapsed))"

# ---- 3. enter the rootfs ---------------------------------------------------------------------
mount -t proc proc "$ROOTFS/proc"
# QEMU passes the host's x86 /proc/cpuinfo through and LiteRT segfaults parsing it: show a Pi 4's.
mount --bind "$PI_DIR/cpuinfo-pi4.txt" "$ROOTFS/proc/cpuinfo"
mount --bind /dev "$ROOTFS/dev"
mkdir -p "$ROOTFS$GUEST_WORK"
mount --bind "$WORK" "$ROOTFS$GUEST_WORK"
# pip's downloads live in the cache, not the rootfs: a rebuilt venv does not download again.
mkdir -p "$CACHE/pip" "$ROOTFS$GUEST_PIP_CACHE"
mount --bind "$CACHE/pip" "$ROOTFS$GUEST_PIP_CACHE"
cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
# Trust what the host trusts: behind a TLS-inspecting proxy (as in our CI) the rootfs's own bundle
# fails with CERTIFICATE_VERIFY_FAILED. A Pi on a plain network does not need this.
HOST_CA=${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
GUEST_CA=""
if [ -f "$HOST_CA" ]; then
  cp -L "$HOST_CA" "$WORK/host-ca.crt"
  GUEST_CA="$GUEST_WORK/host-ca.crt"
fi
# Without the F (fix binary) binfmt flag the kernel looks for qemu inside the chroot.
grep -q '^flags:.*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 || cp "$(command -v qemu-aarch64-static)" "$ROOTFS/usr/bin/"

# A clean environment: QEMU_CPU=cortex-a72 because with QEMU's default `max` CPU LiteRT's int8
# kernels return wrong numbers without any error.
guest() {
  chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
    QEMU_CPU="$QEMU_CPU_MODEL" TF_CPP_MIN_LOG_LEVEL=2 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_DEFAULT_TIMEOUT=60 PIP_CACHE_DIR="$GUEST_PIP_CACHE" ${GUEST_CA:+SSL_CERT_FILE=$GUEST_CA PIP_CERT=$GUEST_CA} /bin/sh -c "cd $GUEST_WORK && $1"
}
guest "uname -m" | grep -qx aarch64 || fail "the rootfs does not run as aarch64 under QEMU"

guest "python3 - <<'EOF'
import urllib.request
urllib.request.urlopen('https://pypi.org/simple/ai-edge-litert/', timeout=$PROBE_TIMEOUT_S)
EOF" >"$LOGS/pypi-probe.log" 2>&1 || skip "the rootfs cannot reach https://pypi.org (see $LOGS/pypi-probe.log)"

pip_install() { # venv, pip arguments, log name
  if ! guest "$1/bin/pip install $2" >"$LOGS/$3.log" 2>&1; then
    if grep -qiE "NewConnectionError|Max retries exceeded|Temporary failure in name resolution|Read timed out|ConnectionResetError|ProtocolError|HTTP error 50[0-9]" \
      "$LOGS/$3.log"; then
      skip "pip could not download from the package index (see $LOGS/$3.log)"
    fi
    fail "pip install $2 failed inside the arm64 rootfs" "$LOGS/$3.log"
  fi
}

compare() { # reference, candidate, label
  "$HOST_PYTHON" "$PI_DIR/compare_readings.py" "$1" "$2" --label "$3" || fail "$3 differs from x86"
}

run_checks() { # venv, label, extra app arguments
  local venv=$1 label=$2 extra=${3:-}
  guest "$venv/bin/python -m edge_app ${APP_ARGS[*]} $extra >out/$label.jsonl 2>out/$label-app.log" ||
    { cp "$WORK/out/$label-app.log" "$LOGS/"; fail "python -m edge_app --headless failed in the $label venv" "$LOGS/$label-app.log"; }
  compare "$WORK/out/x86.jsonl" "$WORK/out/$label.jsonl" "$label headless"
  if [ "$have_mnist" = 1 ]; then
    guest "$venv/bin/python classify_npy.py --model artifacts/model_int8.tflite --images mnist.npy --out out/$label.npy $extra" \
      >"$LOGS/$label-classify.log" 2>&1 || fail "classify_npy.py failed in the $label venv" "$LOGS/$label-classify.log"
    compare "$WORK/out/x86.npy" "$WORK/out/$label.npy" "$label Classifier"
  fi
}

# ---- 4. venvs inside the rootfs ---------------------------------------------------------------
# A venv is reused while the wheel's dependency list and the pip arguments are unchanged and it is
# younger than VENV_MAX_AGE_DAYS (so new releases on PyPI are picked up within a week); then only
# our wheel is reinstalled. --fresh, and any cold cache, run the full install.
VENV_MAX_AGE_DAYS=7
REQUIRES=$("$HOST_PYTHON" - "$WORK/wheel/$WHEEL" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    print(" ".join(l for l in wheel.read(name).decode().splitlines() if l.startswith("Requires-Dist")))
EOF
)
make_venv() { # name, pip install arguments (with the wheel), log name, python3 -m venv flags
  local name=$1 args=$2 log=$3 flags=${4:-} venv="$GUEST_HOME/$1" key
  key=$(printf '%s\n' "$ROOTFS_PACKAGES" "$REQUIRES" "$flags" "$args" | sha256sum | cut -c1-16)
  local keyfile="$ROOTFS$venv/.mnist-edge-key"
  if [ "$FRESH" = 0 ] && [ -f "$keyfile" ] && [ "$(cat "$keyfile")" = "$key" ] &&
    [ -z "$(find "$keyfile" -mtime +"$VENV_MAX_AGE_DAYS")" ]; then
    say "arm64: reusing venv $name (made $(date -r "$keyfile" +%F)); reinstalling only our wheel"
    pip_install "$venv" "--no-deps --force-reinstall wheel/$WHEEL" "$log"
    guest "$venv/bin/pip check" >"$LOGS/$log-check.log" 2>&1 || fail "pip check failed in $name" "$LOGS/$log-check.log"
  else
    say "arm64: python3 -m venv $flags${flags:+ }$name && pip install ${args//wheel\//} (full install, minutes under QEMU)"
    guest "rm -rf $venv && mkdir -p $GUEST_HOME && python3 -m venv $flags $venv"
    pip_install "$venv" "$args" "$log"
    echo "$key" >"$keyfile"
  fi
  guest "$venv/bin/pip list --format=freeze" >"$LOGS/$log-freeze.txt"
  say "arm64 $name ready ($(elapsed)): $(grep -iE '^(numpy|opencv-python-headless|ai-edge-litert|tflite-runtime)==' "$LOGS/$log-freeze.txt" | tr '\n' ' ')"
}

# ---- 5. the core install, exactly as the README's "Raspberry Pi" section says -----------------
make_venv venv "wheel/$WHEEL" pip-core
guest "$GUEST_HOME/venv/bin/python -c 'import tensorflow'" >/dev/null 2>&1 &&
  fail "the core install pulled in TensorFlow; the Pi must not need it"
run_checks "$GUEST_HOME/venv" arm64-litert
RUNTIME=$(guest "$GUEST_HOME/venv/bin/python -c 'from edge_app.runtime import Classifier; print(Classifier(\"artifacts/model_int8.tflite\").runtime)'" 2>/dev/null)
PY_VERSION=$(guest "$GUEST_HOME/venv/bin/python -c 'import platform; print(platform.python_version())'")
if [ -f "$WORK/benchmarks/latency.py" ]; then
  guest "$GUEST_HOME/venv/bin/python benchmarks/latency.py --quick --artifacts artifacts" >"$LOGS/arm64-latency.log" 2>&1 ||
    fail "benchmarks/latency.py --quick failed inside the arm64 rootfs" "$LOGS/arm64-latency.log"
  say "benchmarks/latency.py --quick ran on arm64 (emulated: its timings say nothing about a Pi)"
else
  say "benchmarks/latency.py not in this checkout: latency step not run"
fi

# ---- 6. the Pi camera install: apt's NumPy 1.24 kept, plus tflite-runtime for older images -----
# picamera2 comes from apt (built against NumPy 1.24) and a venv sees it only with
# --system-site-packages; if pip put NumPy 2 in that venv, picamera2's simplejpeg would fail with
# "numpy.dtype size changed". So the README says `pip install . "numpy<2"` there, and this checks
# pip keeps apt's NumPy and the app reads the same digits with it (LiteRT and tflite-runtime).
make_venv venv-camera "wheel/$WHEEL 'numpy<2' tflite-runtime" pip-camera --system-site-packages
NUMPY_FILE=$(guest "$GUEST_HOME/venv-camera/bin/python -c 'import numpy; print(numpy.__file__)'")
case "$NUMPY_FILE" in
  /usr/lib/python3/dist-packages/*) ;;
  *) fail "pip installed its own NumPy ($NUMPY_FILE) over apt's in the camera venv: picamera2 would break" ;;
esac
run_checks "$GUEST_HOME/venv-camera" arm64-camera-tflite-runtime "--runtime tflite-runtime"
guest "$GUEST_HOME/venv-camera/bin/python -m edge_app ${APP_ARGS[*]} --runtime litert >out/arm64-camera-litert.jsonl 2>out/arm64-camera-litert.log" ||
  { cp "$WORK/out/arm64-camera-litert.log" "$LOGS/"; fail "LiteRT with apt's NumPy failed" "$LOGS/arm64-camera-litert.log"; }
compare "$WORK/out/x86.jsonl" "$WORK/out/arm64-camera-litert.jsonl" "arm64-camera-litert headless"

say "checked in $(elapsed) (QEMU CPU $QEMU_CPU_MODEL, logs in $LOGS)"
say "OK $(grep -c '"text"' "$WORK/out/x86.jsonl") frames identical, runtime $RUNTIME, python $PY_VERSION"
