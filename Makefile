# tensorhaus — the two commands a new machine needs are `make demo` and `make test`.
# Both install what is missing (Debian packages), build, and run.

BUILD      ?= build
BUILD_TYPE ?= Release
JOBS       ?= 2
CMAKE_ARGS ?=

# ccache keys on paths relative to the checkout, so a fresh clone reuses earlier compiles.
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: all deps configure build demo test bench format format-check sanitize clean

all: build

deps:
	./scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./scripts/demo.sh $(BUILD)

test: build
	./scripts/test.sh $(BUILD)

bench: build
	./bench/run.sh $(BUILD)

sanitize:
	$(MAKE) test BUILD=build-asan BUILD_TYPE=RelWithDebInfo CMAKE_ARGS=-DTH_SANITIZE=ON

format:
	find engine tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

format-check:
	find engine tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD)
