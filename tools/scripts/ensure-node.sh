# Sourced, not run: puts a Node.js of the major in .nvmrc first on PATH.
# The machines here ship an older Node; we fetch the `node` package from the npm registry
# (it carries the official binary) into .cache/, leaving the system's Node untouched.
_mcp_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_mcp_want="$(tr -d ' \n' < "$_mcp_root/.nvmrc")"
_mcp_major="${_mcp_want%%.*}"
_mcp_have_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null; }

if [ "$(_mcp_have_major)" != "$_mcp_major" ]; then
  _mcp_dir="$_mcp_root/.cache/node-$_mcp_want"
  if [ ! -x "$_mcp_dir/node_modules/node/bin/node" ]; then
    echo "ensure-node: installing node@$_mcp_want from the npm registry into ${_mcp_dir#$_mcp_root/}" >&2
    mkdir -p "$_mcp_dir"
    npm install --prefix "$_mcp_dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node@$_mcp_want" >&2 \
      || { echo "ensure-node: could not install node@$_mcp_want" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_mcp_dir/node_modules/node/bin:$PATH"
fi
# npm on these machines is configured to build native addons against the system Node's headers;
# with another Node that would give addons of the wrong ABI, so let node-gyp use the running Node's.
unset npm_config_nodedir
export npm_config_nodedir=""
if [ "$(_mcp_have_major)" != "$_mcp_major" ]; then
  echo "ensure-node: need Node $_mcp_major, have $(node --version 2>/dev/null || echo none)" >&2
  return 1 2>/dev/null || exit 1
fi
unset -f _mcp_have_major
unset _mcp_root _mcp_want _mcp_major _mcp_dir
