#!/usr/bin/env bash
# Installs a single-node Trino server from Maven Central (io.trino:trino-server,
# ~800 MB) into .tmp/trino and starts it on 127.0.0.1:18080 with the memory
# catalog, so test/athena/athena-sql-engine.test.ts can run the Athena SQL on
# real Trino:
#
#   bash scripts/trino-local.sh start
#   TRINO_URL=http://127.0.0.1:18080 npx jest test/athena
#   bash scripts/trino-local.sh stop
#
# Needs Maven and a Java 24+ runtime (JAVA_HOME, default the Temurin 25 JDK).
set -euo pipefail
VERSION="${TRINO_VERSION:-476}"
PORT="${TRINO_PORT:-18080}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)/.tmp/trino"
HOME_DIR="$ROOT/trino-server-$VERSION"
JAVA_HOME="${JAVA_HOME_TRINO:-/usr/lib/jvm/temurin-25-jdk-amd64}"

case "${1:-start}" in
  start)
    mkdir -p "$ROOT"
    if [ ! -d "$HOME_DIR" ]; then
      mvn -q dependency:copy "-Dartifact=io.trino:trino-server:$VERSION:tar.gz" "-DoutputDirectory=$ROOT"
      tar xzf "$ROOT/trino-server-$VERSION.tar.gz" -C "$ROOT"
      rm "$ROOT/trino-server-$VERSION.tar.gz"
    fi
    mkdir -p "$HOME_DIR/etc/catalog" "$HOME_DIR/data"
    printf 'node.environment=test\nnode.id=cdk-cis-monitoring\nnode.data-dir=%s/data\n' "$HOME_DIR" > "$HOME_DIR/etc/node.properties"
    printf -- '-server\n-Xmx2G\n-XX:+UseG1GC\n-XX:+ExplicitGCInvokesConcurrent\n-Djdk.attach.allowAttachSelf=true\n' > "$HOME_DIR/etc/jvm.config"
    printf 'coordinator=true\nnode-scheduler.include-coordinator=true\nhttp-server.http.port=%s\ndiscovery.uri=http://127.0.0.1:%s\nquery.max-memory=1GB\nquery.max-memory-per-node=1GB\n' "$PORT" "$PORT" > "$HOME_DIR/etc/config.properties"
    echo 'connector.name=memory' > "$HOME_DIR/etc/catalog/memory.properties"
    JAVA_HOME="$JAVA_HOME" PATH="$JAVA_HOME/bin:$PATH" "$HOME_DIR/bin/launcher" start
    for _ in $(seq 1 120); do
      if curl -sf "http://127.0.0.1:$PORT/v1/info" | grep -q '"starting":false'; then
        echo "Trino $VERSION is up: TRINO_URL=http://127.0.0.1:$PORT"
        exit 0
      fi
      sleep 2
    done
    echo "Trino did not start; see $HOME_DIR/data/var/log/server.log" >&2
    exit 1
    ;;
  stop)
    JAVA_HOME="$JAVA_HOME" PATH="$JAVA_HOME/bin:$PATH" "$HOME_DIR/bin/launcher" stop
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
