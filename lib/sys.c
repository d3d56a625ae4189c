/* Facts about the machine; see include/s2e/sys.h. */
#include <unistd.h>

#include "s2e/sys.h"

unsigned s2e_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}
