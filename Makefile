# MusicMill Live. Both targets set up everything they need themselves (see ./mm).
BUILD ?= build
export MM_BUILD_DIR = $(BUILD)

.PHONY: setup run test bench clean
setup:
	scripts/setup.sh $(BUILD)
run:
	./mm run
test:
	./mm test
bench: setup
	scripts/setup.sh $(BUILD) -DMM_BUILD_BENCH=ON
	scripts/bench.sh $(BUILD)
clean:
	rm -rf $(BUILD) $(BUILD).cmake.log
