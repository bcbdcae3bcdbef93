// Root filesystem op kinds, Mount op bits and pivot modes: generated from contract/contract.json
// (contract.gen.h). The int/string layout of each op is documented in src/plan/mount-ops.ts.
#pragma once
#include "contract.gen.h"
