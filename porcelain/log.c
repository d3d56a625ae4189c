/* Placeholder until `s2e log` lands: it refuses clearly. */
#include "porcelain.h"
#include "s2e/error.h"

int cmd_log(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	s2e_error("'s2e log' is not implemented yet; use git -C \"$S2EDIR\" log");
	return fail("log");
}
