// SwiftPM links every executable target with `--defsym main=<module>_main`, so libFuzzer's own
// main() is never pulled in. Each fuzz executable gets its `<module>_main` here, handing control
// to libFuzzer's driver with the Swift module's LLVMFuzzerTestOneInput. Every executable links
// all of these; only the one named by its defsym runs.
#include "lethe_fuzz_driver.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LETHE_FUZZ_MAIN(module) \
    int module##_main(int argc, char **argv) { return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput); }

LETHE_FUZZ_MAIN(fuzz_ohttp_header)
LETHE_FUZZ_MAIN(fuzz_key_config)
LETHE_FUZZ_MAIN(fuzz_bhttp)
LETHE_FUZZ_MAIN(fuzz_multipart)
LETHE_FUZZ_MAIN(fuzz_sniff)
LETHE_FUZZ_MAIN(fuzz_decode_analyse)
LETHE_FUZZ_MAIN(fuzz_public_routes)
