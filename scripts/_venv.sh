# Sourced by scripts/run and scripts/test: make .venv match pyproject.toml (re-install on change).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
extras="${1:-}"
stamp=".venv/.installed${extras:+-$extras}"
uv_version="0.13.9"
want="$( (sha256sum pyproject.toml; echo "uv $uv_version") | sha256sum | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setting up .venv (first run or dependencies changed)..." >&2
  # uv installs what pip would (the project editable, PEP 660) in seconds where pip takes most of
  # a minute on two cores, and compiles the installed packages on both
  .venv/bin/python -m pip install -q --disable-pip-version-check "uv==$uv_version"
  .venv/bin/uv pip install -q --python .venv/bin/python --compile-bytecode -e ".${extras:+[$extras]}"
  echo "$want" > "$stamp"
fi
