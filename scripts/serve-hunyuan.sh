#!/usr/bin/env bash
# Start HunyuanOCR behind vLLM's OpenAI-compatible server on this GPU host and wait until it answers.
#
#   HUNYUAN_REVISION=<commit> scripts/serve-hunyuan.sh          start (installs the pinned vLLM on first use)
#   scripts/serve-hunyuan.sh stop                                stop the server this script started
#   scripts/serve-hunyuan.sh latest-revision                     print the hub's current commit, to pin it
#
# vLLM is not a dependency of Folio: it lives in its own virtual environment on the GPU host
# (HUNYUAN_VENV) and Folio only speaks HTTP to it. Flags follow the model's vLLM recipe: prefix
# caching and the multimodal processor cache are off (every page is a new image, nothing to reuse).
# Settings (environment):
#   HUNYUAN_REVISION     commit of the hub repo to serve (required for a hub model; see latest-revision)
#   HUNYUAN_MODEL_PATH   hub repo (default tencent/HunyuanOCR, which serves HunyuanOCR 1.5 at its root)
#                        or a local weights folder (then no revision is needed)
#   HUNYUAN_SERVED_NAME  name clients ask for (default tencent/HunyuanOCR = FOLIO_HUNYUAN_MODEL)
#   HUNYUAN_HOST / HUNYUAN_PORT     default 0.0.0.0 / 8000
#   HUNYUAN_API_KEY      if set, clients must send it (FOLIO_HUNYUAN_API_KEY)
#   HUNYUAN_GPU_MEM_UTIL default 0.9 (the GPU is HunyuanOCR's alone; lower it when sharing)
#   HUNYUAN_MAX_MODEL_LEN default 32768 (a 2048x2048 page is ~4.2k image tokens + 16384 output tokens)
#   HUNYUAN_VENV         default ~/.venvs/hunyuan-vllm;  VLLM_VERSION default 0.18.1 (pinned)
#   HUNYUAN_READY_TIMEOUT seconds to wait for readiness (default 900: the first start downloads ~2 GB)
set -euo pipefail

VLLM_VERSION="${VLLM_VERSION:-0.18.1}"
MODEL_PATH="${HUNYUAN_MODEL_PATH:-tencent/HunyuanOCR}"
REVISION="${HUNYUAN_REVISION:-}"
SERVED_NAME="${HUNYUAN_SERVED_NAME:-tencent/HunyuanOCR}"
HOST="${HUNYUAN_HOST:-0.0.0.0}"
PORT="${HUNYUAN_PORT:-8000}"
GPU_MEM_UTIL="${HUNYUAN_GPU_MEM_UTIL:-0.9}"
MAX_MODEL_LEN="${HUNYUAN_MAX_MODEL_LEN:-32768}"
VENV="${HUNYUAN_VENV:-$HOME/.venvs/hunyuan-vllm}"
READY_TIMEOUT="${HUNYUAN_READY_TIMEOUT:-900}"
STATE_DIR="${HUNYUAN_STATE_DIR:-$HOME/.cache/folio-hunyuan}"
PID_FILE="$STATE_DIR/vllm-$PORT.pid"
LOG_FILE="$STATE_DIR/vllm-$PORT.log"

die() { echo "serve-hunyuan: $*" >&2; exit 1; }

install_vllm() {
  local have=""
  if [[ -x "$VENV/bin/python" ]]; then
    have="$("$VENV/bin/python" -c 'import vllm; print(vllm.__version__)' 2>/dev/null || true)"
  fi
  if [[ "$have" == "$VLLM_VERSION" ]]; then return; fi
  echo "serve-hunyuan: installing vllm==$VLLM_VERSION into $VENV (once)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet "vllm==$VLLM_VERSION"
}

latest_revision() {
  install_vllm
  "$VENV/bin/python" -c "from huggingface_hub import HfApi; print(HfApi().model_info('$MODEL_PATH').sha)"
}

stop_server() {
  [[ -f "$PID_FILE" ]] || die "no server started by this script on port $PORT ($PID_FILE missing)"
  local pid; pid="$(cat "$PID_FILE")"
  kill "$pid" 2>/dev/null && echo "serve-hunyuan: stopped vLLM (pid $pid)" || echo "serve-hunyuan: pid $pid was not running"
  rm -f "$PID_FILE"
}

wait_ready() {
  local pid="$1" url="http://127.0.0.1:$PORT/v1/models" waited=0
  local auth=()
  [[ -n "${HUNYUAN_API_KEY:-}" ]] && auth=(-H "Authorization: Bearer $HUNYUAN_API_KEY")
  until curl -sf "${auth[@]}" "$url" | grep -q "\"$SERVED_NAME\""; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$LOG_FILE" >&2
      die "vLLM exited before it was ready; the log above is $LOG_FILE"
    fi
    (( waited >= READY_TIMEOUT )) && die "not ready after ${READY_TIMEOUT}s (still loading?); see $LOG_FILE"
    sleep 5; waited=$((waited + 5))
  done
  echo "serve-hunyuan: ready after ${waited}s: $url serves $SERVED_NAME"
}

start_server() {
  local revision_args=()
  if [[ -d "$MODEL_PATH" ]]; then
    revision_args=()
  elif [[ "$REVISION" =~ ^[0-9a-f]{40}$ ]]; then
    revision_args=(--revision "$REVISION")
  else
    die "set HUNYUAN_REVISION to a 40-hex commit of $MODEL_PATH so every start serves the same weights
  (scripts/serve-hunyuan.sh latest-revision prints the current one), or point HUNYUAN_MODEL_PATH at a local folder"
  fi
  if [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    die "a server started by this script is already running on port $PORT (pid $(cat "$PID_FILE")); run: $0 stop"
  fi
  install_vllm
  mkdir -p "$STATE_DIR"
  local key_args=()
  [[ -n "${HUNYUAN_API_KEY:-}" ]] && key_args=(--api-key "$HUNYUAN_API_KEY")
  nohup "$VENV/bin/vllm" serve "$MODEL_PATH" "${revision_args[@]}" \
    --served-model-name "$SERVED_NAME" \
    --host "$HOST" --port "$PORT" \
    --no-enable-prefix-caching \
    --mm-processor-cache-gb 0 \
    --gpu-memory-utilization "$GPU_MEM_UTIL" \
    --max-model-len "$MAX_MODEL_LEN" \
    "${key_args[@]}" >"$LOG_FILE" 2>&1 &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  echo "serve-hunyuan: vllm==$VLLM_VERSION serving $MODEL_PATH${REVISION:+@$REVISION} as $SERVED_NAME (pid $pid, log $LOG_FILE)"
  wait_ready "$pid"
  echo "On the Folio machine:"
  echo "  export FOLIO_OCR_ENGINE=hunyuan FOLIO_HUNYUAN_BASE_URL=http://$(hostname -f 2>/dev/null || hostname):$PORT/v1 FOLIO_HUNYUAN_MODEL=$SERVED_NAME"
  echo "  folio doctor"
}

case "${1:-start}" in
  start) start_server ;;
  stop) stop_server ;;
  latest-revision) latest_revision ;;
  *) die "usage: $0 [start|stop|latest-revision]" ;;
esac
