#!/usr/bin/env bash
# Builds the Windows (MinGW-w64, x86_64, static) dependencies of hdc-reportd
# once and prints the prefix that holds them:
#   OpenSSL 3.0 (libcrypto, libssl)        from Debian's openssl source package
#   Poco 1.11 Foundation JSON Util Net     from Debian's poco source package,
#        Crypto NetSSL (over OpenSSL)      patched by cmake/windows/patches/*.patch
#   SQLite 3.40 (the amalgamation)         from Debian's sqlite3 source package
# (the header-only libraries, nlohmann_json, spdlog with fmt and doctest, come
# from Debian's -dev packages through cmake/windows/header_only.cmake).
#
# Usage: build-deps.sh [CACHE_ROOT]
# The prefix is CACHE_ROOT/windeps-<key> (default CACHE_ROOT: /var/cache/hdc-reportd
# when writable, else ~/.cache/hdc-reportd). The key hashes the source package
# versions, the compiler version, the patches and `recipe` below, so a change
# to any of them builds a new prefix and an unchanged one is reused by every
# later build and CI run on the machine. Bump `recipe` with every change to
# how a library is configured or built.
# The source packages come through a private apt configuration under the
# cache root (deb-src entries mirroring the system's deb entries); the
# system's apt configuration is not touched.
#
# Everything but the last line goes to stderr; the last line on stdout is
# the prefix.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
jobs=${JOBS:-$(nproc)}
triplet=x86_64-w64-mingw32

log() { echo "windeps: [${SECONDS}s] $*" >&2; }
die() { echo "windeps: error: $*" >&2; exit 1; }

cache_root=${1:-}
if [[ -z $cache_root ]]; then
  if mkdir -p /var/cache/hdc-reportd 2>/dev/null && [[ -w /var/cache/hdc-reportd ]]; then
    cache_root=/var/cache/hdc-reportd
  else
    cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/hdc-reportd
  fi
fi
mkdir -p "$cache_root"

# --- a private apt configuration for the source packages ---------------------
apt_dir=$cache_root/apt-src
mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial,parts}
# deb-src entries mirroring the configured deb entries (deb822 and one-line).
: >"$apt_dir/parts/src.sources"
for f in /etc/apt/sources.list.d/*.sources; do
  [[ -f $f ]] && sed -n 's/^Types:.*\bdeb\b.*$/Types: deb-src/;p' "$f" >>"$apt_dir/parts/src.sources" &&
    echo >>"$apt_dir/parts/src.sources"
done
: >"$apt_dir/parts/src.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [[ -f $f ]] && sed -n 's/^deb \(.*\)$/deb-src \1/p' "$f" >>"$apt_dir/parts/src.list"
done
cat >"$apt_dir/apt.conf" <<EOF
Dir::Etc::SourceList "$apt_dir/parts/src.list";
Dir::Etc::SourceParts "$apt_dir/parts";
Dir::State::Lists "$apt_dir/lists";
Dir::Cache "$apt_dir/cache";
APT::Sandbox::User "root";
EOF
export APT_CONFIG=$apt_dir/apt.conf
# The lists are refreshed at most once a day (versions rarely move, and the
# key below changes when they do).
if [[ -z $(find "$apt_dir/lists" -maxdepth 1 -name '*Sources*' -mtime -1 2>/dev/null) ]]; then
  log "refreshing the source package lists"
  apt-get update -qq >&2 || die "apt-get update for the deb-src entries failed"
fi

src_version() {
  apt-cache showsrc "$1" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -V | tail -1
}

poco_v=$(src_version poco); openssl_v=$(src_version openssl); sqlite_v=$(src_version sqlite3)
[[ -n $poco_v && -n $openssl_v && -n $sqlite_v ]] ||
  die "source packages not found (poco '$poco_v', openssl '$openssl_v', sqlite3 '$sqlite_v')"

recipe=1
key_input=$(
  echo "recipe $recipe"
  echo "poco $poco_v openssl $openssl_v sqlite3 $sqlite_v"
  $triplet-g++-posix --version | head -1
  cat "$here"/patches/*.patch
)
key=$(sha256sum <<<"$key_input" | cut -c1-16)
prefix=$cache_root/windeps-$key
# One build at a time per prefix: a second caller (CI builds the Windows tree
# beside other steps; two `make windows` on one machine) waits for the first
# and reuses its result.
exec 8>"$prefix.lock"
if ! flock -n 8; then
  log "waiting for the build of $prefix another process holds"
  flock 8
fi
if [[ -f $prefix/.complete ]]; then
  log "reusing $prefix"
  echo "$prefix"
  exit 0
fi

log "building into $prefix (poco $poco_v, openssl $openssl_v, sqlite3 $sqlite_v)"
work=$(mktemp -d "$cache_root/windeps-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/prefix
mkdir -p "$stage"/{include,lib,lib/cmake}

# Downloads the upstream tarball of a source package (the Debian patches are
# for Debian's Linux build; we apply our own, below).
orig_tarball() {
  local pkg=$1 version=$2 dl=$cache_root/sources
  mkdir -p "$dl"
  local upstream=${version#*:}; upstream=${upstream%-*}
  if ! compgen -G "$dl/${pkg}_${upstream}.orig.tar.*" >/dev/null; then
    # --download-only can fail on the .dsc of a security update while the
    # tarball itself arrives; the tarball is what counts.
    (cd "$dl" && apt-get source --download-only -qq "$pkg=$version" >&2) || true
  fi
  local t
  t=$(compgen -G "$dl/${pkg}_${upstream}.orig.tar.*" | grep -v -e '\.asc$' -e 'orig-' | head -1) ||
    die "no upstream tarball for $pkg $version"
  echo "$t"
}

# --- OpenSSL ------------------------------------------------------------------
t=$(orig_tarball openssl "$openssl_v")
log "OpenSSL from $(basename "$t")"
mkdir -p "$work/openssl" && tar -xf "$t" -C "$work/openssl" --strip-components=1
(
  cd "$work/openssl"
  ./Configure mingw64 --cross-compile-prefix=$triplet- no-shared no-tests no-module \
    --prefix="$stage" --libdir=lib >&2
  make -s -j"$jobs" build_libs >&2
  make -s install_dev >&2
)

# --- SQLite (amalgamation) ------------------------------------------------------
t=$(orig_tarball sqlite3 "$sqlite_v")
log "SQLite from $(basename "$t")"
mkdir -p "$work/sqlite" && tar -xf "$t" -C "$work/sqlite" --strip-components=1
(
  cd "$work/sqlite"
  ./configure --disable-tcl >/dev/null
  make -s sqlite3.c >&2
  $triplet-gcc-posix -O2 -c sqlite3.c -o sqlite3.o -DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_FTS5 \
    -DSQLITE_ENABLE_JSON1 -DSQLITE_OMIT_LOAD_EXTENSION
  $triplet-gcc-ar-posix rcs "$stage/lib/libsqlite3.a" sqlite3.o
  cp sqlite3.h sqlite3ext.h "$stage/include/"
)

# --- Poco ---------------------------------------------------------------------
t=$(orig_tarball poco "$poco_v")
log "Poco from $(basename "$t")"
mkdir -p "$work/poco" && tar -xf "$t" -C "$work/poco" --strip-components=1
for p in "$here"/patches/poco-*.patch; do
  log "  patch $(basename "$p")"
  patch -s -p1 -d "$work/poco" <"$p" >&2
done
cmake -S "$work/poco" -B "$work/poco-build" -G "Unix Makefiles" \
  -DCMAKE_TOOLCHAIN_FILE="$here/mingw-w64.cmake" -DHDC_WINDEPS="$stage" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$stage" -DBUILD_SHARED_LIBS=OFF \
  -DOPENSSL_ROOT_DIR="$stage" -DOPENSSL_USE_STATIC_LIBS=TRUE \
  -DENABLE_FOUNDATION=ON -DENABLE_JSON=ON -DENABLE_UTIL=ON -DENABLE_NET=ON \
  -DENABLE_CRYPTO=ON -DENABLE_NETSSL=ON -DENABLE_NETSSL_WIN=OFF \
  -DENABLE_XML=OFF -DENABLE_DATA=OFF -DENABLE_DATA_SQLITE=OFF -DENABLE_DATA_MYSQL=OFF \
  -DENABLE_DATA_POSTGRESQL=OFF -DENABLE_DATA_ODBC=OFF -DENABLE_MONGODB=OFF -DENABLE_REDIS=OFF \
  -DENABLE_PDF=OFF -DENABLE_ZIP=OFF -DENABLE_SEVENZIP=OFF -DENABLE_APACHECONNECTOR=OFF \
  -DENABLE_CPPPARSER=OFF -DENABLE_ENCODINGS=OFF -DENABLE_ENCODINGS_COMPILER=OFF \
  -DENABLE_PAGECOMPILER=OFF -DENABLE_PAGECOMPILER_FILE2PAGE=OFF -DENABLE_POCODOC=OFF \
  -DENABLE_JWT=OFF -DENABLE_ACTIVERECORD=OFF -DENABLE_ACTIVERECORD_COMPILER=OFF \
  -DENABLE_PROMETHEUS=OFF -DENABLE_TESTS=OFF -DENABLE_SAMPLES=OFF >&2
cmake --build "$work/poco-build" -j "$jobs" >&2
cmake --install "$work/poco-build" >&2

cp "$work/sqlite/VERSION" "$stage/sqlite-version" 2>/dev/null || true
echo "$key_input" >"$stage/KEY"
touch "$stage/.complete"

rm -rf "$prefix"
mv "$stage" "$prefix"
log "done: $prefix"
echo "$prefix"
