#!/usr/bin/env bash
#
# deploy.sh — unggah satu rilis aplikasi dengan rsync lewat SSH (atau ke direktori lokal).
#             Upload one release of an application with rsync over SSH (or to a local directory).
#
# Step 5 of the maintenance SOP runs this through service_tasks/deploy.py; it can be run by hand:
#
#   DEPLOY_APP=perizinan_online DEPLOY_RELEASE=v1.4.2 DEPLOY_SOURCE=/srv/build/perizinan \
#   DEPLOY_HOST=colo.example.go.id DEPLOY_USER=deploy DEPLOY_PATH=/var/www/perizinan \
#   DEPLOY_KEY=/etc/sopflow/deploy_ed25519 DEPLOY_KNOWN_HOSTS=/etc/sopflow/known_hosts \
#   DEPLOY_POST='php artisan migrate --force' ./deploy.sh
#
# Input (environment):
#   DEPLOY_APP          application id (for the messages)
#   DEPLOY_RELEASE      release name (for the messages)
#   DEPLOY_SOURCE       local directory holding the release; its *contents* are uploaded
#   DEPLOY_HOST         server name or address; empty = local target (rsync to a local path)
#   DEPLOY_USER         SSH user on the server (required when DEPLOY_HOST is set)
#   DEPLOY_PORT         SSH port, default 22
#   DEPLOY_PATH         absolute target directory, created when missing; never empty or "/"
#   DEPLOY_KEY          private key file for SSH
#   DEPLOY_KNOWN_HOSTS  known_hosts file holding the server's host key (checked strictly)
#   DEPLOY_POST         optional command run by `sh -c` in DEPLOY_PATH on the target
#   DEPLOY_EXCLUDE      optional rsync exclude patterns, one per line
#   DEPLOY_DELETE       "true" deletes files on the target that the release does not have
#                       (excluded files are kept); default "false"
#
# Output: progress lines "[1/3] …", "[2/3] …", "[3/3] …", then "SELESAI: <app> <release> → <target>".
# Every failure prints one line "GAGAL: <reason>" on stderr and exits non-zero:
#   2    invalid input
#   255  the server could not be reached or refused SSH (ssh's own status)
#   N    otherwise the status of the command that failed (mkdir, rsync, post-deploy command)

set -euo pipefail

fail() { # fail STATUS REASON...
    local status=$1
    shift
    printf 'GAGAL: %s\n' "$*" >&2
    exit "$status"
}

# Quote one word for a POSIX shell on the target: 'it'\''s'.
sh_quote() {
    local quoted=${1//\'/\'\\\'\'}
    printf "'%s'" "$quoted"
}

# Quote one word for rsync's -e option, which splits on spaces and honours quotes ('' is one ').
rsync_quote() {
    local quoted=${1//\'/\'\'}
    printf "'%s'" "$quoted"
}

# Paths that reach ssh options and rsync's remote side: no spaces, quotes, % tokens or globs.
is_plain_path() {
    [[ $1 =~ ^[A-Za-z0-9_./+@,=-]+$ ]]
}

app=${DEPLOY_APP:-}
release=${DEPLOY_RELEASE:-}
source_dir=${DEPLOY_SOURCE:-}
host=${DEPLOY_HOST:-}
user=${DEPLOY_USER:-}
port=${DEPLOY_PORT:-22}
target_path=${DEPLOY_PATH:-}
key=${DEPLOY_KEY:-}
known_hosts=${DEPLOY_KNOWN_HOSTS:-}
post=${DEPLOY_POST:-}
exclude=${DEPLOY_EXCLUDE:-}
delete=${DEPLOY_DELETE:-false}

# --- Input -------------------------------------------------------------------------------------

[[ -n $app ]] || fail 2 "DEPLOY_APP (nama aplikasi) kosong"
[[ -n $release ]] || fail 2 "DEPLOY_RELEASE (nama rilis) kosong"
[[ -n $source_dir ]] || fail 2 "DEPLOY_SOURCE (direktori sumber rilis) kosong"

while [[ $target_path == */ && $target_path != / ]]; do
    target_path=${target_path%/}
done
[[ -n $target_path ]] || fail 2 "DEPLOY_PATH (direktori tujuan) kosong"
[[ $target_path != / ]] || fail 2 "DEPLOY_PATH tidak boleh direktori akar \"/\""
[[ $target_path == /* ]] || fail 2 "DEPLOY_PATH harus jalur absolut: $target_path"
is_plain_path "$target_path" ||
    fail 2 "DEPLOY_PATH hanya boleh berisi huruf, angka dan _ . / + @ , = -: $target_path"
[[ /$target_path/ != */./* && /$target_path/ != */../* ]] ||
    fail 2 "DEPLOY_PATH tidak boleh berisi \".\" atau \"..\": $target_path"

case $delete in
true) delete_opt=(--delete) ;;
false | "") delete_opt=() ;;
*) fail 2 "DEPLOY_DELETE harus \"true\" atau \"false\", bukan \"$delete\"" ;;
esac

excludes=()
while IFS= read -r pattern; do
    [[ -n $pattern ]] && excludes+=("--exclude=$pattern")
done <<<"$exclude"

if [[ -n $host ]]; then
    [[ $host =~ ^[A-Za-z0-9][A-Za-z0-9._:-]*$ ]] || fail 2 "DEPLOY_HOST tidak sah: $host"
    [[ $user =~ ^[A-Za-z_][A-Za-z0-9._-]*$ ]] || fail 2 "DEPLOY_USER kosong atau tidak sah: $user"
    if ! [[ $port =~ ^[0-9]{1,5}$ ]] || ((10#$port < 1 || 10#$port > 65535)); then
        fail 2 "DEPLOY_PORT harus angka 1–65535: $port"
    fi
    port=$((10#$port))
    for name in DEPLOY_KEY DEPLOY_KNOWN_HOSTS; do
        file=${!name:-}
        [[ -n $file ]] || fail 2 "$name kosong: deploy lewat SSH memerlukannya"
        is_plain_path "$file" ||
            fail 2 "$name hanya boleh berisi huruf, angka dan _ . / + @ , = -: $file"
        [[ -f $file && -r $file ]] || fail 2 "$name tidak ditemukan atau tidak dapat dibaca: $file"
    done

    if [[ $host == *:* ]]; then dest_host="[$host]"; else dest_host=$host; fi
    target="$user@$dest_host:$target_path"
    ((port == 22)) || target+=" (port $port)"

    ssh_cmd=(
        ssh -p "$port" -i "$key"
        -o BatchMode=yes
        -o StrictHostKeyChecking=yes
        -o "UserKnownHostsFile=$known_hosts"
        -o GlobalKnownHostsFile=/dev/null
        -o ConnectTimeout=10
        -o IdentitiesOnly=yes
        -o LogLevel=ERROR
    )
    rsync_rsh=""
    for word in "${ssh_cmd[@]}"; do
        rsync_rsh+="${rsync_rsh:+ }$(rsync_quote "$word")"
    done
else
    target=$target_path
fi

# Run a command on the target: through SSH as one shell command line, or locally with sh.
on_target() { # on_target COMMAND_LINE
    if [[ -n $host ]]; then
        "${ssh_cmd[@]}" -- "$user@$host" "$1"
    else
        sh -c "$1"
    fi
}

unreachable() {
    fail 255 "server tujuan $host (port $port) tidak dapat dihubungi atau menolak SSH"
}

# --- 1. Source ---------------------------------------------------------------------------------

echo "[1/3] Memeriksa sumber rilis …"
[[ -d $source_dir ]] || fail 2 "direktori sumber rilis tidak ditemukan: $source_dir"
[[ -r $source_dir && -x $source_dir ]] || fail 2 "direktori sumber rilis tidak dapat dibaca: $source_dir"
echo "      aplikasi: $app, rilis: $release"
echo "      sumber:   $source_dir"
echo "      tujuan:   $target"

# --- 2. Upload ---------------------------------------------------------------------------------

echo "[2/3] Mengunggah …"
status=0
on_target "mkdir -p -- $(sh_quote "$target_path")" || status=$?
if ((status == 255)) && [[ -n $host ]]; then
    unreachable
elif ((status != 0)); then
    fail "$status" "direktori tujuan tidak dapat dibuat: $target_path"
fi

rsync_args=(--archive --compress --out-format='      %i %n%L' "${delete_opt[@]}" "${excludes[@]}")
if [[ -n $host ]]; then
    rsync_args+=(-e "$rsync_rsh" -- "$source_dir/" "$dest_host:$target_path/")
else
    rsync_args+=(-- "$source_dir/" "$target_path/")
fi
status=0
rsync "${rsync_args[@]}" || status=$?
if ((status == 255)) && [[ -n $host ]]; then
    unreachable
elif ((status != 0)); then
    fail "$status" "rsync gagal mengunggah berkas ke $target (status $status)"
fi

# --- 3. Post-deploy command --------------------------------------------------------------------

echo "[3/3] Menjalankan perintah pasca-deploy …"
if [[ -n $post ]]; then
    echo "      \$ $post"
    status=0
    on_target "cd -- $(sh_quote "$target_path") && exec sh -c $(sh_quote "$post")" || status=$?
    if ((status != 0)); then
        fail "$status" "perintah pasca-deploy gagal (status keluar $status): $post"
    fi
else
    echo "      (tidak ada perintah pasca-deploy)"
fi

echo "SELESAI: $app $release → $target"
