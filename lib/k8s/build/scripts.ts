/**
 * The two fixed shell scripts of a build Job. They are constants: no user value is ever spliced into them.
 * User values arrive as environment variables (git-clone) or as positional arguments ("$@", buildkit), which
 * the shell hands on verbatim, one value per argument. POSIX sh, because the images ship busybox ash.
 *
 * Environment they read (all set by the manifest builder):
 *   git-clone: GIT_URL, GIT_REVISION, CONTEXT_PATH, DOCKERFILE_PATH, WORKSPACE, GIT_SECRET_DIR (optional),
 *              TERMINATION_LOG, TMPDIR (a writable scratch dir), GIT_ALLOW_PROTOCOL (git itself refuses other transports)
 *   buildkit:  WORKSPACE, METADATA_FILE, PRIMARY_IMAGE, TERMINATION_LOG, plus buildctl's argv in "$@"
 */

/**
 * Fetches exactly one revision into $WORKSPACE/src. A full SHA is fetched by id (servers that refuse that
 * get a fallback fetch of all branches and tags, then the same SHA is checked out, so a full SHA is always
 * built exactly); a branch or tag is fetched shallowly and resolved. The resolved commit goes to the
 * termination message (read by Wait for Job) and to $WORKSPACE/git-revision (read by the build step).
 * Credentials come from files of a mounted Secret, read only when git asks for them.
 */
export const GIT_CLONE_SCRIPT = `set -eu
fail() { printf 'git-clone: %s\\n' "$1" >&2; printf '%s' "$1" > "$TERMINATION_LOG" 2>/dev/null || true; exit 1; }
case "$GIT_URL" in -*) fail "refusing a git URL that starts with -";; esac
case "$GIT_REVISION" in -*|+*) fail "refusing a revision that starts with - or +";; esac
export HOME="$TMPDIR/git-home"
mkdir -p "$HOME"
if [ -n "\${GIT_SECRET_DIR:-}" ]; then
  if [ -f "$GIT_SECRET_DIR/token" ] || [ -f "$GIT_SECRET_DIR/password" ]; then
    export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=credential.helper
    export GIT_CONFIG_VALUE_0='!f() { [ "$1" = get ] || exit 0; u=x-access-token; [ -f "$GIT_SECRET_DIR/username" ] && u=$(cat "$GIT_SECRET_DIR/username"); p="$GIT_SECRET_DIR/token"; [ -f "$p" ] || p="$GIT_SECRET_DIR/password"; printf "username=%s\\npassword=%s\\n" "$u" "$(cat "$p")"; }; f'
  fi
  if [ -f "$GIT_SECRET_DIR/ssh-privatekey" ]; then
    mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
    cp "$GIT_SECRET_DIR/ssh-privatekey" "$HOME/.ssh/id" && chmod 600 "$HOME/.ssh/id"
    if [ -f "$GIT_SECRET_DIR/known_hosts" ]; then
      export GIT_SSH_COMMAND="ssh -i $HOME/.ssh/id -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$GIT_SECRET_DIR/known_hosts"
    else
      echo "git-clone: warning: the git Secret has no known_hosts key; trusting the host key on first use" >&2
      export GIT_SSH_COMMAND="ssh -i $HOME/.ssh/id -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$HOME/.ssh/known_hosts"
    fi
  fi
fi
src="$WORKSPACE/src"
mkdir -p "$src"
cd "$src"
git -c init.defaultBranch=build init -q
git remote add origin "$GIT_URL"
is_commit=no
case "$GIT_REVISION" in *[!0-9a-f]*) ;; *) [ \${#GIT_REVISION} -eq 40 ] || [ \${#GIT_REVISION} -eq 64 ] && is_commit=yes;; esac
if [ "$is_commit" = yes ]; then
  if ! git fetch -q --depth=1 origin "$GIT_REVISION"; then
    echo "git-clone: the server would not serve the commit by id; fetching all branches and tags" >&2
    git fetch -q origin '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*' || fail "git fetch failed"
  fi
  git -c advice.detachedHead=false checkout -q --detach "$GIT_REVISION" || fail "commit $GIT_REVISION is not in the repository"
else
  git fetch -q --depth=1 origin "$GIT_REVISION" || fail "no branch or tag named $GIT_REVISION (or git fetch failed)"
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
printf '%s' "$commit" > "$TERMINATION_LOG"
echo "git-clone: $GIT_REVISION is $commit"
`;

/**
 * Runs buildctl (through buildctl-daemonless.sh) with the argv the manifest builder prepared, adding the
 * commit that git-clone resolved (for provenance and the OCI revision label), then copies the pushed digest
 * into the termination message. buildctl cannot write /dev/termination-log itself: it writes its metadata
 * file atomically (temp file + rename in the same directory), hence the copy.
 */
export const BUILD_SCRIPT = `set -eu
commit=$(cat "$WORKSPACE/git-revision")
case "$commit" in ''|*[!0-9a-f]*) echo "build: git-clone left no commit SHA" >&2; exit 1;; esac
buildctl-daemonless.sh "$@" \\
  --opt "vcs:revision=$commit" \\
  --opt "label:org.opencontainers.image.revision=$commit" \\
  --metadata-file "$METADATA_FILE"
digest=$(sed -n 's/.*"containerimage\\.digest": *"\\(sha256:[0-9a-f]\\{64\\}\\)".*/\\1/p' "$METADATA_FILE" | head -n 1)
[ -n "$digest" ] || { echo "build: buildctl reported no image digest" >&2; exit 1; }
printf '{"digest":"%s","image":"%s","revision":"%s"}' "$digest" "$PRIMARY_IMAGE" "$commit" > "$TERMINATION_LOG"
echo "build: pushed $PRIMARY_IMAGE@$digest"
`;
