# Installs what the test suite needs and is missing; safe to run again and again.
# Sourced by tests/run. Everything comes from the package registries: Debian (apt),
# npm, crates.io, Maven Central (android/, through mvn).

KOTLIN_COMPILER_VERSION=2.4.20
TREE_SITTER_VERSION=0.26.1
TREE_SITTER_KOTLIN_VERSION=1.1.0
TREE_SITTER_SWIFT_VERSION=0.7.4
TOOLS_DIR="$ROOT/.tools"
KOTLIN_HOME="$TOOLS_DIR/kotlin/node_modules/kotlin-compiler"
JUNIT_CONSOLE=/usr/share/java/junit-platform-console-standalone.jar
JNA_JAR=/usr/share/java/jna.jar

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_packages_missing() {
    local missing=()
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    echo "${missing[@]:-}"
}

ensure_apt() {
    local missing
    missing=$(apt_packages_missing "$@")
    if [ -n "$missing" ]; then
        echo "setup: installing Debian packages: $missing"
        as_root apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
    fi
}

ensure_java() {
    if ! command -v java >/dev/null 2>&1; then
        ensure_apt openjdk-17-jdk-headless
    fi
}

ensure_kotlinc() {
    if [ ! -x "$KOTLIN_HOME/bin/kotlinc" ] ||
        ! grep -q "\"version\": \"$KOTLIN_COMPILER_VERSION\"" "$KOTLIN_HOME/package.json" 2>/dev/null; then
        command -v npm >/dev/null 2>&1 || ensure_apt nodejs npm
        echo "setup: installing kotlin-compiler@$KOTLIN_COMPILER_VERSION from npm"
        mkdir -p "$TOOLS_DIR/kotlin"
        npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR/kotlin" \
            "kotlin-compiler@$KOTLIN_COMPILER_VERSION" >/dev/null
    fi
    KOTLINC="$KOTLIN_HOME/bin/kotlinc"
}

ensure_rust() {
    command -v cargo >/dev/null 2>&1 || {
        echo "setup: cargo not found; install Rust (rustup) first" >&2
        exit 1
    }
    cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
    cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
}

# The reference examiner (tests/examiner/) needs Python 3 and `cryptography` (PyPI, for
# Ed25519), installed into a venv under .tools so the system Python is left alone.
EXAMINER_CRYPTOGRAPHY_VERSION=48.0.0
EXAMINER_VENV="$TOOLS_DIR/examiner-venv"
EXAMINER_PYTHON="$EXAMINER_VENV/bin/python3"

ensure_examiner_python() {
    command -v python3 >/dev/null 2>&1 || ensure_apt python3
    if [ ! -x "$EXAMINER_PYTHON" ]; then
        python3 -m venv "$EXAMINER_VENV" 2>/dev/null || {
            ensure_apt python3-venv
            rm -rf "$EXAMINER_VENV"
            python3 -m venv "$EXAMINER_VENV"
        }
    fi
    if ! "$EXAMINER_PYTHON" -c "import cryptography, sys; sys.exit(cryptography.__version__ != '$EXAMINER_CRYPTOGRAPHY_VERSION')" 2>/dev/null; then
        echo "setup: installing cryptography==$EXAMINER_CRYPTOGRAPHY_VERSION (PyPI) for the reference examiner"
        "$EXAMINER_PYTHON" -m pip install --quiet --disable-pip-version-check \
            "cryptography==$EXAMINER_CRYPTOGRAPHY_VERSION"
    fi
}

# tree-sitter's Kotlin grammar (PyPI) parse-checks android/app, which needs an Android SDK to compile.
ensure_kotlin_parser() {
    python3 -c 'import tree_sitter, tree_sitter_kotlin' 2>/dev/null && return
    echo "setup: installing tree-sitter and tree-sitter-kotlin from PyPI"
    python3 -m pip install -q "tree-sitter==$TREE_SITTER_VERSION" "tree-sitter-kotlin==$TREE_SITTER_KOTLIN_VERSION" 2>/dev/null ||
        python3 -m pip install -q --break-system-packages \
            "tree-sitter==$TREE_SITTER_VERSION" "tree-sitter-kotlin==$TREE_SITTER_KOTLIN_VERSION"
}

# The web console's browser tests (tests/console/) in three engines, all from Debian: Chromium
# (`chromium`), Firefox (`firefox-esr`) and WebKit (WebKitGTK's `WebKitWebDriver` and
# MiniBrowser, from `webkit2gtk-driver`, drawn into an `xvfb` display). Firefox and
# WebKitGTK are about 135 MB to download (500 MB installed) where Chromium is already there. Their drivers come
# from npm, pinned, under .tools/console: Playwright (the library only: it drives that
# Chromium, never downloads a browser), Puppeteer (drives Firefox over WebDriver BiDi, never
# downloads one either) and selenium-webdriver (WebDriver classic, for WebKitWebDriver),
# with axe-core; about 75 MB.
CONSOLE_PLAYWRIGHT_VERSION=1.65.2
CONSOLE_PUPPETEER_VERSION=25.19.0
CONSOLE_SELENIUM_VERSION=4.54.0
CONSOLE_AXE_VERSION=4.14.1
CONSOLE_NODE_MODULES="$TOOLS_DIR/console/node_modules"

ensure_console_browser() {
    # openssl makes the WebKit run's certificate.
    ensure_apt chromium firefox-esr webkit2gtk-driver xvfb openssl
    command -v npm >/dev/null 2>&1 || ensure_apt nodejs npm
    local pkgs=("playwright-core@$CONSOLE_PLAYWRIGHT_VERSION" "puppeteer-core@$CONSOLE_PUPPETEER_VERSION"
        "selenium-webdriver@$CONSOLE_SELENIUM_VERSION" "axe-core@$CONSOLE_AXE_VERSION") missing=() p
    for p in "${pkgs[@]}"; do
        grep -q "\"version\": \"${p##*@}\"" "$CONSOLE_NODE_MODULES/${p%@*}/package.json" 2>/dev/null || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing ${pkgs[*]} from npm"
        mkdir -p "$TOOLS_DIR/console"
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 \
            npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR/console" "${pkgs[@]}" >/dev/null
    fi
}

# tree-sitter's Swift grammar (PyPI) parse-checks ios/ and the generated Swift bindings
# (ios/tools/), in the examiner's venv under .tools: there is no Swift compiler here.
ensure_swift_parser() {
    "$EXAMINER_PYTHON" -c "import tree_sitter, tree_sitter_swift, importlib.metadata as m, sys; sys.exit(m.version('tree-sitter-swift') != '$TREE_SITTER_SWIFT_VERSION')" 2>/dev/null && return
    echo "setup: installing tree-sitter and tree-sitter-swift from PyPI (examiner venv)"
    "$EXAMINER_PYTHON" -m pip install --quiet --disable-pip-version-check \
        "tree-sitter==$TREE_SITTER_VERSION" "tree-sitter-swift==$TREE_SITTER_SWIFT_VERSION"
}

setup_all() {
    ensure_rust
    ensure_java
    ensure_apt junit5 libjna-java
    # The sync server's tests run a second time on PostgreSQL (a throwaway cluster on loopback).
    ensure_apt postgresql
    # The sync server's slow-link tests make a network namespace and limit its loopback
    # with `tc ... tbf` (ip, tc).
    ensure_apt iproute2
    # The docs' examples (tests/docs-examples) read `--json` output with jq.
    ensure_apt jq
    # fuzz/ (libfuzzer-sys) compiles libFuzzer's C++ with the system compiler.
    ensure_apt g++
    ensure_kotlinc
    # android/: Maven builds presentation, ui and desktop; Skia's Linux library links libGL
    # even for CPU raster rendering, and the rendered screens need fonts.
    ensure_apt maven libgl1 fontconfig fonts-dejavu-core
    # The PDF reports (report/): fonts for Latin, Cyrillic, Arabic (Noto) and CJK (WenQuanYi
    # Micro Hei, 5 MB against Noto CJK's 90 MB); pdftotext/pdftoppm/pdffonts read them back.
    ensure_apt fonts-noto-core fonts-wqy-microhei poppler-utils
    command -v pip3 >/dev/null 2>&1 || python3 -m pip --version >/dev/null 2>&1 || ensure_apt python3-pip
    ensure_kotlin_parser
    ensure_examiner_python
    ensure_console_browser
    ensure_swift_parser
}
