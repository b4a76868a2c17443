# Makefile — a thin wrapper over CMake; the README's two commands.
#   make run    install what is missing, build, run the quickstart scenario
#   make test   build and run every test (ctest: Criterion suites, CLI, validation)
#   make mpi    the MPI build (build-mpi/liqcascade; make test tests it when
#               Open MPI is installed: sh .ci/deps mpi)
#   make asan   every test under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench  the benchmark figures (bench/)
#   make fuzz   each libFuzzer harness of tests/fuzz/ for FUZZ_SECONDS (clang, ASan, UBSan)
#   make format clang-format every C file in place (make test checks it)
BUILD ?= build
JOBS  ?= 2
OUT   ?= quickstart.h5

FUZZ_SECONDS ?= 60

.PHONY: run deps build test mpi mpi-test asan fuzz bench docs format clean

run: deps build
	@echo
	./$(BUILD)/liqcascade run scenarios/quickstart.yaml -o $(OUT) --force
	@echo "Docs: docs/scenario.md (keys), docs/models.md (models), docs/schema.md (the file)"

deps:
	@sh .ci/deps

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure --verbose -j $(JOBS)
	@if command -v mpicc >/dev/null 2>&1 && command -v mpirun >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory mpi-test; \
	else \
		echo "mpi: not tested (no Open MPI here; sh .ci/deps mpi installs it)"; \
	fi

# the MPI build (build-mpi, -DLC_MPI=ON) and its test against the serial binary
mpi:
	@cmake -S . -B build-mpi -DLC_MPI=ON -DCMAKE_BUILD_TYPE=Release \
		-DLC_SERIAL_BINARY=$(CURDIR)/$(BUILD)/liqcascade >/dev/null
	@cmake --build build-mpi -j $(JOBS) --target liqcascade

mpi-test: build mpi
	cd build-mpi && ctest -R '^mpi' --output-on-failure --verbose

asan:
	cmake -S . -B build-asan -DLC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

fuzz:
	CC=clang cmake -S . -B build-fuzz -DLC_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	sh tests/fuzz/run build-fuzz $(FUZZ_SECONDS)

bench: build
	sh bench/run

docs: build
	./$(BUILD)/liqcascade models --markdown > docs/models.md

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-mpi
