/* Placeholder until `s2e vm run` lands: it refuses clearly. */
#include "porcelain.h"
#include "s2e/error.h"

int cmd_vm_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	s2e_error("'s2e vm run' is not implemented yet");
	return fail("vm run");
}
