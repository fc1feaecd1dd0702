// SPDX-License-Identifier: GPL-2.0
#include "rxrpc_test.h"
#include "kselftest_harness.h"

TEST_HARNESS_MAIN
