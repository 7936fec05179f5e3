#!/bin/sh
# Nightly sopflow backup (sopflow-backup.service runs it): the database and the stored files
# into a new dated folder under BACKUP_ROOT, then folders older than BACKUP_KEEP_DAYS removed.
# Copy BACKUP_ROOT off the machine (rsync, tape, the office's backup system) afterwards.
set -eu
root="${BACKUP_ROOT:-/var/backups/sopflow}"
keep="${BACKUP_KEEP_DAYS:-14}"
app="${APP_DIR:-/opt/sopflow}"
folder="$root/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$root"
cd "$app"
"$app/.venv/bin/flask" --app webapp backup create "$folder"
# Only finished backups (with their manifest) count; an unfinished one is removed at once.
find "$root" -mindepth 1 -maxdepth 1 -type d ! -name "$(basename "$folder")" \
    \( ! -exec test -e '{}/manifest.json' \; -o -mtime +"$keep" \) \
    -exec rm -rf '{}' +
