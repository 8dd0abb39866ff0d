// Entry points of the fuzz executables; see lethe_fuzz_driver.c.
#pragma once
