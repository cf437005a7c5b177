# Shell functions shared by CI scripts; source it: `source .ci/lib.sh`.
# (Written for .ci/sdk-docs; .ci/browser does the same steps inline.)

step() { printf '\n==> %s\n' "$*"; }

# Debian's Chromium at /usr/bin/chromium, installed with apt when missing.
ensure_chromium() {
  if [[ ! -x /usr/bin/chromium ]]; then
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  fi
  /usr/bin/chromium --version 2>/dev/null || { echo "ci: /usr/bin/chromium does not run" >&2; return 1; }
}

# playwright-core in tests/browser/node_modules (npm ci when it is missing).
# playwright-core never downloads a browser; say so anyway.
ensure_browser_node_modules() {
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  node --version
  if [[ ! -f tests/browser/node_modules/playwright-core/package.json ]]; then
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
  fi
  node -e 'console.log("playwright-core " + require("./tests/browser/node_modules/playwright-core/package.json").version)'
}

# A TCP port free on 127.0.0.1 just now (it can be taken before it is used: retry).
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Waits until URL answers 200, while process PID lives; 1 if it died, 2 after SECONDS s.
wait_for_200() {
  local url=$1 pid=$2 deadline=$((SECONDS + ${3:-60}))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || return 1
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" == 200 ]] && return 0
    sleep 0.2
  done
  return 2
}

# Stops process PID: TERM, up to 5 s, then KILL.
stop_process() {
  local pid=$1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
