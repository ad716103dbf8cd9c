// CHECK_TIMING: an assertion about real-time behaviour (xruns, late frames, deadlines).
// In the normal build it is a CHECK. In a sanitized build (MM_SANITIZED: AddressSanitizer,
// UBSan or ThreadSanitizer make the instrument's own code several times slower) it is
// reported with WARN when it does not hold, and does not fail: those builds are there to
// find memory errors, undefined behaviour and data races, and the normal build's run of the
// same test judges the timing.
#pragma once

#include <catch2/catch.hpp>

#if defined(MM_SANITIZED)
#define CHECK_TIMING(...)                                                                          \
  do {                                                                                             \
    if (!(__VA_ARGS__)) WARN("timing not held in this sanitized build (judged by the normal build): " \
                             #__VA_ARGS__);                                                        \
  } while (false)
#else
#define CHECK_TIMING(...) CHECK(__VA_ARGS__)
#endif
