/**
 * The two fixed shell scripts of a build Job. They are constants: no user value is ever spliced into them.
 * User values arrive as environment variables (git-clone) or as positional arguments ("$@", buildkit), which
 * the shell hands on verbatim, one value per argument. POSIX sh, because the images ship busybox ash.
 *
 * Environment they read (all set by the manifest builder):
 *   git-clone: GIT_URL, GIT_URL_SCHEME (https, http or ssh), GIT_URL_HOST (host[:port] as git names it),
 *              GIT_REVISION, CONTEXT_PATH, DOCKERFILE_PATH, WORKSPACE, GIT_SECRET_DIR (optional),
 *              SSH_TRUST_ON_FIRST_USE (optional, "true"), TERMINATION_LOG, TMPDIR (a writable scratch dir),
 *              GIT_ALLOW_PROTOCOL (git itself refuses other transports)
 *   buildkit:  WORKSPACE, METADATA_FILE, PRIMARY_IMAGE, TERMINATION_LOG, CACHE_REF (optional: the cache is
 *              exported there), SOURCE_DATE_EPOCH_FROM_COMMIT (optional, "true"), BUILDKITD_CONFIG and
 *              BUILDKITD_CONFIG_MAP (optional: buildkitd.toml path, and the ConfigMap it comes from), plus buildctl's argv in "$@"
 */

/**
 * Fetches exactly one revision into $WORKSPACE/src. A full SHA is fetched by id (servers that refuse that
 * get a fallback fetch of all branches and tags, then the same SHA is checked out, so a full SHA is always
 * built exactly); a branch or tag is fetched shallowly and resolved. The resolved commit goes to the
 * termination message (read by Wait for Job) and to $WORKSPACE/git-revision (read by the build step), its
 * committer time (Unix seconds) to $WORKSPACE/git-commit-time.
 * Credentials come from files of a mounted Secret, read only when git asks for them, and only for the planned
 * scheme and host (GIT_URL_SCHEME, GIT_URL_HOST); redirects are not followed, so neither the token nor the
 * checkout can move to another server. A fetch that fails names git's own cause (DNS, refused, TLS, 401/403…).
 */
export const GIT_CLONE_SCRIPT = `set -eu
fail() { printf 'git-clone: %s\\n' "$1" >&2; printf '%s' "$1" | head -c 1024 > "$TERMINATION_LOG" 2>/dev/null || true; exit 1; }
case "$GIT_URL" in -*) fail "refusing a git URL that starts with -";; esac
case "$GIT_REVISION" in -*|+*) fail "refusing a revision that starts with - or +";; esac
export HOME="$TMPDIR/git-home"
mkdir -p "$HOME"
n=\${GIT_CONFIG_COUNT:-0}
config() { export "GIT_CONFIG_KEY_$n=$1" "GIT_CONFIG_VALUE_$n=$2"; n=$((n + 1)); export GIT_CONFIG_COUNT=$n; }
config http.followRedirects false
secret() { [ -n "\${GIT_SECRET_DIR:-}" ] && [ -f "$GIT_SECRET_DIR/$1" ]; }
if secret token || secret password; then
  config credential.helper '!f() { [ "$1" = get ] || exit 0; p=; h=; while IFS= read -r l && [ -n "$l" ]; do case "$l" in protocol=*) p=\${l#protocol=};; host=*) h=\${l#host=};; esac; done; [ "$p" = "$GIT_URL_SCHEME" ] && [ "$h" = "$GIT_URL_HOST" ] || exit 0; u=x-access-token; [ -f "$GIT_SECRET_DIR/username" ] && u=$(cat "$GIT_SECRET_DIR/username"); s="$GIT_SECRET_DIR/token"; [ -f "$s" ] || s="$GIT_SECRET_DIR/password"; printf "username=%s\\npassword=%s\\n" "$u" "$(cat "$s")"; }; f'
fi
if [ "$GIT_URL_SCHEME" = ssh ]; then
  ssh_command="ssh -o BatchMode=yes -o IdentitiesOnly=yes"
  if secret ssh-privatekey; then
    mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
    cp "$GIT_SECRET_DIR/ssh-privatekey" "$HOME/.ssh/id" && chmod 600 "$HOME/.ssh/id"
    ssh_command="$ssh_command -i $HOME/.ssh/id"
  fi
  if secret known_hosts; then
    ssh_command="$ssh_command -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$GIT_SECRET_DIR/known_hosts"
  elif [ "\${SSH_TRUST_ON_FIRST_USE:-}" = true ]; then
    echo "git-clone: warning: trusting the SSH host key of $GIT_URL_HOST on first use (Options → Trust SSH Host Key On First Use); no known_hosts in the git Secret" >&2
    ssh_command="$ssh_command -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$HOME/.ssh/known_hosts"
  else
    fail "the git Secret has no known_hosts key, so the SSH host key of $GIT_URL_HOST cannot be checked: add known_hosts to the Secret (from ssh-keyscan, fingerprint verified) or turn on Options → Trust SSH Host Key On First Use"
  fi
  export GIT_SSH_COMMAND="$ssh_command"
fi
errors="$TMPDIR/git-fetch.err"
fetch() { rc=0; git fetch -q origin "$@" 2>"$errors" || rc=$?; cat "$errors" >&2; return $rc; }
has() { grep -Eqi "$1" "$errors"; }
missing_ref() { has "couldn.t find remote ref|not our ref|unadvertised object|no such remote ref|upload-pack: not our ref"; }
cause() {
  why="git fetch failed"
  if has 'could not resolve host|could not resolve hostname|name or service not known|temporary failure in name resolution|no address associated'; then why="DNS: cannot resolve $GIT_URL_HOST"
  elif has 'connection refused'; then why="connection refused by $GIT_URL_HOST"
  elif has 'failed to connect|couldn.t connect to server'; then why="cannot connect to $GIT_URL_HOST (refused or unreachable)"
  elif has 'timed out'; then why="connection to $GIT_URL_HOST timed out"
  elif has 'no route to host|network is unreachable'; then why="no route to $GIT_URL_HOST"
  elif has 'ssl|certificate|tls|gnutls'; then why="TLS error talking to $GIT_URL_HOST (certificate or protocol)"
  elif has 'error: 401|authentication failed|could not read username|could not read password'; then why="authentication failed (401): check the token in the git Secret"
  elif has 'error: 403'; then why="access denied (403): the git Secret's token may not read this repository"
  elif has "error: 404|repository not found|repository '.*' not found|does not appear to be a git repository"; then why="repository not found (404)"
  elif has 'error: 30[1278]|redirect'; then why="the server redirects (redirects are not followed): use the URL it redirects to"
  elif has 'host key verification failed|remote host identification has changed'; then why="SSH host key of $GIT_URL_HOST does not match known_hosts"
  elif has 'permission denied \\(publickey'; then why="SSH key refused by $GIT_URL_HOST"
  fi
  detail=$(grep -Ei '^(fatal|error|ssh|remote):|permission denied|host key' "$errors" | head -n 1 | tr -d '\\r' | sed -E 's#://[^/@ ]*@#://***@#g' | cut -c 1-300)
  printf '%s' "$why\${detail:+ ($detail)}"
}
src="$WORKSPACE/src"
mkdir -p "$src"
cd "$src"
git -c init.defaultBranch=build init -q
git remote add origin "$GIT_URL"
is_commit=no
case "$GIT_REVISION" in *[!0-9a-f]*) ;; *) [ \${#GIT_REVISION} -eq 40 ] || [ \${#GIT_REVISION} -eq 64 ] && is_commit=yes;; esac
if [ "$is_commit" = yes ]; then
  if ! fetch --depth=1 "$GIT_REVISION"; then
    missing_ref || fail "cannot fetch from $GIT_URL: $(cause)"
    echo "git-clone: the server would not serve the commit by id; fetching all branches and tags" >&2
    fetch '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*' || fail "cannot fetch from $GIT_URL: $(cause)"
  fi
  git -c advice.detachedHead=false checkout -q --detach "$GIT_REVISION" || fail "commit $GIT_REVISION is not in the repository"
else
  if ! fetch --depth=1 "$GIT_REVISION"; then
    missing_ref && fail "no branch or tag named $GIT_REVISION in $GIT_URL"
    fail "cannot fetch from $GIT_URL: $(cause)"
  fi
  git -c advice.detachedHead=false checkout -q --detach FETCH_HEAD
fi
commit=$(git rev-parse HEAD)
root=$(pwd -P)
inside() { case "$1" in "$root"|"$root"/*) return 0;; esac; return 1; }
[ -d "$src/$CONTEXT_PATH" ] || fail "context path '$CONTEXT_PATH' is not a directory at $commit"
ctx=$(cd "$src/$CONTEXT_PATH" && pwd -P)
inside "$ctx" || fail "context path '$CONTEXT_PATH' leads outside the repository"
[ -f "$ctx/$DOCKERFILE_PATH" ] || fail "Dockerfile '$DOCKERFILE_PATH' not found in '$CONTEXT_PATH' at $commit"
df_dir=$(cd "$(dirname "$ctx/$DOCKERFILE_PATH")" && pwd -P)
inside "$df_dir" || fail "Dockerfile '$DOCKERFILE_PATH' leads outside the repository"
printf '%s\\n' "$commit" > "$WORKSPACE/git-revision"
git show -s --format=%ct HEAD > "$WORKSPACE/git-commit-time"
printf '%s' "$commit" > "$TERMINATION_LOG"
echo "git-clone: $GIT_REVISION is $commit"
`;

/**
 * Runs buildctl (through buildctl-daemonless.sh) with the argv the manifest builder prepared, adding the
 * commit that git-clone resolved (for provenance and the OCI revision label), then copies the pushed digest
 * into the termination message. buildctl cannot write /dev/termination-log itself: it writes its metadata
 * file atomically (temp file + rename in the same directory), hence the copy. A failed build leaves BuildKit's
 * final error line there instead (credentials in URLs masked), which Wait for Job reports as the cause.
 * The cache export ignores errors (a pushed image must not fail over its cache); the metadata file has a
 * "cache.manifest" entry only when the cache was written, and the result says which.
 */
export const BUILD_SCRIPT = `set -eu
commit=$(cat "$WORKSPACE/git-revision")
case "$commit" in ''|*[!0-9a-f]*) echo "build: git-clone left no commit SHA" >&2; exit 1;; esac
if [ -n "\${BUILDKITD_CONFIG:-}" ]; then
  if [ ! -f "$BUILDKITD_CONFIG" ]; then
    m="ConfigMap \${BUILDKITD_CONFIG_MAP:-} has no key buildkitd.toml, or is not in this namespace (Options → BuildKit Config Map)"
    echo "build: $m" >&2; printf '%s' "$m" > "$TERMINATION_LOG"; exit 1
  fi
  export BUILDKITD_FLAGS="\${BUILDKITD_FLAGS:-} --config=$BUILDKITD_CONFIG"
fi
dir=$(dirname "$METADATA_FILE")
log="$dir/build.log"
status="$dir/build.status"
if [ "\${SOURCE_DATE_EPOCH_FROM_COMMIT:-}" = true ]; then
  epoch=$(cat "$WORKSPACE/git-commit-time")
  case "$epoch" in ''|*[!0-9]*) echo "build: git-clone left no commit time" >&2; exit 1;; esac
  set -- "$@" --opt "build-arg:SOURCE_DATE_EPOCH=$epoch"
fi
{ rc=0; buildctl-daemonless.sh "$@" \\
  --opt "vcs:revision=$commit" \\
  --opt "label:org.opencontainers.image.revision=$commit" \\
  --metadata-file "$METADATA_FILE" 2>&1 || rc=$?; echo "$rc" > "$status"; } | tee "$log"
rc=$(cat "$status")
if [ "$rc" != 0 ]; then
  line=$(grep '^error: ' "$log" | tail -n 1)
  [ -n "$line" ] || line=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)
  printf '%s' "$line" | tr -d '\\r' | sed -E -e 's/^error: //' -e 's#://[^/@ ]*@#://***@#g' -e 's/((token|password|secret|TOKEN|PASSWORD|SECRET)[=:] *)[^ ,;]+/\\1***/g' | head -c 1024 > "$TERMINATION_LOG"
  exit "$rc"
fi
digest=$(sed -n 's/.*"containerimage\\.digest": *"\\(sha256:[0-9a-f]\\{64\\}\\)".*/\\1/p' "$METADATA_FILE" | head -n 1)
[ -n "$digest" ] || { echo "build: buildctl reported no image digest" >&2; exit 1; }
cache=
if [ -n "\${CACHE_REF:-}" ]; then
  if grep -q '"cache\\.manifest"' "$METADATA_FILE"; then cache=',"cache":"written"'
  else cache=',"cache":"not written"'; echo "build: the build cache was not written to $CACHE_REF (see the cache export step above); the image was pushed" >&2
  fi
fi
printf '{"digest":"%s","image":"%s","revision":"%s"%s}' "$digest" "$PRIMARY_IMAGE" "$commit" "$cache" > "$TERMINATION_LOG"
echo "build: pushed $PRIMARY_IMAGE@$digest"
`;
