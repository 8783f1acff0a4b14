# Shared settings for the build scripts (sourced, not run).
# Every path here can be overridden from the environment.

# Where expensive things live, outside the work tree: kernel sources and builds, bindgen.
CACHE_DIR=${TOOLKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/os-toolkit}
TOOLS_DIR=${TOOLS_DIR:-$CACHE_DIR/tools}
export PATH="$TOOLS_DIR/bin:$PATH"

# The kernel is built with Debian's rustc-web (1.96) whose rust-src matches it; rustup's
# proxy in ~/.cargo/bin would shadow it on PATH, so it is passed explicitly.
KRUSTC=${KRUSTC:-/usr/bin/rustc}
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-22/lib}

# The kernel package the cache is keyed on.
KERNEL_PKG=${KERNEL_PKG:-linux-source-7.3}
KERNEL_SUITE=${KERNEL_SUITE:-trixie-backports}
