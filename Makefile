# MusicMill Live. `make run` and `make test` set up everything they need themselves.
BUILD ?= build

.PHONY: setup build run test bench clean
setup build:
	scripts/setup.sh $(BUILD)

run: setup
	scripts/run.sh $(BUILD)

test: setup
	cd $(BUILD) && ctest --output-on-failure -j2 --timeout 900

bench: setup
	scripts/setup.sh $(BUILD) -DMM_BUILD_BENCH=ON
	scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD).cmake.log
