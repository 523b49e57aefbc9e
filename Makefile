# Entry points. `make test` and `make demo` work on a fresh Debian 12 machine as root.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?=

# Exactly the Debian packages aibud builds and tests with.
DEBIAN_PACKAGES := build-essential cmake ninja-build pkg-config \
  libcaf-dev libboost-dev libsqlite3-dev libsqlitecpp-dev nlohmann-json3-dev \
  libcurl4-openssl-dev doctest-dev libssl-dev libcli11-dev libspdlog-dev \
  libqrencode-dev clang-format sqlite3 wrk

.PHONY: all deps build asan test unit demo bench soak format format-check clean

all: build

deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
	  -DAIBUD_SANITIZE=ON -DAIBUD_BENCH=OFF $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# Every test, then every test again under AddressSanitizer and UndefinedBehaviorSanitizer.
test: build asan
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE soak
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE soak

# The fast loop while developing: the release build's tests only.
unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE soak

demo: build
	./$(BUILD)/aibud demo

bench: build
	@if [ -x bench/run ]; then bench/run $(BUILD); else echo "no benchmarks yet"; fi

soak: build
	AIBUD_TEST_SOAK=1 ctest --test-dir $(BUILD) --output-on-failure -L soak

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
