# Sourced by .ci/run (and usable by hand: `. .ci/node-lts.sh`): puts a pinned
# Node.js LTS first on PATH. CI machines only have Node 20, which is end of
# life; the registry's node-linux-<arch> package ships the official binary.
# Installed once into .tools/node (ignored by git and npm); a second run with
# the same version reuses it.
CIS_NODE_VERSION=22.23.5

cis_node_lts() {
  local root dir arch pkg want have
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  dir="$root/.tools/node"
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "node-lts: no node-linux package for $(uname -m)" >&2; return 1 ;;
  esac
  pkg="node-linux-$arch"
  want="v$CIS_NODE_VERSION"
  have="$("$dir/node_modules/$pkg/bin/node" --version 2>/dev/null || true)"
  if [ "$have" != "$want" ]; then
    echo "node-lts: installing Node $want ($pkg@$CIS_NODE_VERSION) into .tools/node"
    rm -rf "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "$pkg@$CIS_NODE_VERSION" || return 1
    have="$("$dir/node_modules/$pkg/bin/node" --version 2>/dev/null || true)"
    if [ "$have" != "$want" ]; then
      echo "node-lts: $dir/node_modules/$pkg/bin/node is '$have', expected $want" >&2
      return 1
    fi
  fi
  export PATH="$dir/node_modules/$pkg/bin:$PATH"
  hash -r
  echo "node-lts: $(command -v node) $(node --version), npm $(npm --version)"
}

cis_node_lts
