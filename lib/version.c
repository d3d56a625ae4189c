#include "s2e/version.h"

#ifndef S2E_VERSION
#define S2E_VERSION "unknown"
#endif

const char S2E_VERSION_STRING[] = S2E_VERSION;
