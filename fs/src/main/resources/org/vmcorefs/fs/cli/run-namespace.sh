# vmcorefs run: sets up the private mount namespace (run by `unshare --mount --propagation private`, as root
# or as root of a new user namespace), then execs the command. Arguments: STAGE, MOUNTPOINT, the mount's files
# (paths relative to it), then --, then the command. STAGE is an empty directory the caller made and removes;
# nothing else here is visible outside the namespace.
set -eu
here=$(pwd) # COMMAND starts where vmcorefs run was started
stage=$1; shift
mnt=$1; shift
files=""
while [ "$1" != -- ]; do files="$files$1
"; shift; done
shift

# A failed step ends the set-up with 125 (as env and chroot do), so it is not taken for COMMAND's status.
trap 'rc=$?; [ $rc -eq 0 ] || echo "vmcorefs run: cannot set up the namespace (status $rc)" >&2; exit 125' EXIT

# The deepest existing directory on the way to each file: that directory is shadowed (below), the file and
# any missing directories between are added in the shadow. Deepest first, so that a shadow of a parent
# takes in its children's shadows.
attach_dirs=$(printf '%s' "$files" | while IFS= read -r f; do
    d=/$(dirname "$f")
    while [ ! -d "$d" ] || [ -L "$d" ]; do d=$(dirname "$d"); done
    printf '%s\n' "$d"
done | sort -u | awk '{ print gsub("/", "/"), $0 }' | sort -rn | cut -d' ' -f2-)

# A shadow of directory D: a tmpfs over D holding, for every entry D had, a bind mount of it (a symlink is
# copied), so that D reads as before; new entries are then added in it. Mounts below D come along (rbind).
# /proc cannot be stacked on (overlayfs refuses procfs), hence binds. Its dynamic entries are the exception:
# /proc/self and /proc/thread-self point into the whole procfs kept at /proc/.vmcorefs-procfs, and process
# directories (/proc/PID) are there too, not at the top.
bind() { mount --no-canonicalize --rbind "$1" "$2"; }
left_out() { echo "vmcorefs run: $1 is left out of the namespace (it cannot be bound here)" >&2; }

shadow() {
    d=$1
    if [ "$d" = /proc ]; then # the whole procfs, kept for /proc/self and /proc/PID
        mount -t tmpfs -o size=64k vmcorefs-stage "$stage"
        mkdir "$stage/procfs"
        mount --rbind /proc "$stage/procfs"
    fi
    cd "$d"
    mount -t tmpfs -o "mode=$(stat -c %a .),size=1m" vmcorefs-shadow "$d"
    # From here on, "$d/x" is the shadow and a relative "x" (from the working directory) the original:
    # mount gets relative sources as they are (--no-canonicalize), so the kernel resolves them from here.
    if [ "$d" = /proc ]; then
        mkdir /proc/.vmcorefs-procfs
        bind "$stage/procfs" /proc/.vmcorefs-procfs
    fi
    for e in * .[!.]* ..?*; do
        [ -e "$e" ] || [ -L "$e" ] || continue
        if [ "$d" = /proc ]; then
            case $e in
                self|thread-self) ln -s ".vmcorefs-procfs/$e" "/proc/$e"; continue ;;
                *[!0-9]*) ;;
                *) continue ;;
            esac
        fi
        if [ -L "$e" ]; then
            ln -s "$(readlink "$e")" "$d/$e"
        elif [ -d "$e" ]; then
            mkdir "$d/$e"
            bind "$e" "$d/$e" || { rmdir "$d/$e"; left_out "$d/$e"; }
        else
            touch "$d/$e"
            bind "$e" "$d/$e" || { rm -f "$d/$e"; left_out "$d/$e"; }
        fi
    done
    cd /
    if [ "$d" = /proc ]; then
        umount -l "$stage"
    fi
}

for d in $attach_dirs; do
    shadow "$d"
done

printf '%s' "$files" | while IFS= read -r f; do
    t=/$f
    mkdir -p "$(dirname "$t")"
    [ -e "$t" ] || touch "$t"
    mount --bind "$mnt/$f" "$t"
done

cd "$here"
trap - EXIT
exec "$@"
