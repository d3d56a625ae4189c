/* s2e-mkimage: create a sparse raw disk image. */
#include <stdio.h>
#include <stdlib.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/image.h"
#include "s2e/parse-options.h"
#include "s2e/size.h"

static const char *const usage[] = {
	"s2e-mkimage [-f] [-v] PATH SIZE",
	NULL,
	"Create PATH as a sparse raw disk image of SIZE: 7680M, 5G, 512K, 1.5G, 1T or",
	"bytes (binary units, rounded up to a multiple of 512).",
	NULL,
};

int main(int argc, char **argv)
{
	int force = 0, verbose = 0;
	const struct s2e_option options[] = {
		OPT_BOOL('f', "force", &force, "replace an existing file at PATH"),
		OPT_VERBOSE(&verbose),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e-mkimage", usage, options,
					"expected PATH and SIZE", 2, 2};
	uint64_t size;

	if (s2e_std_fds_open())
		return 1;

	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	if (s2e_size_parse(argv[1], &size))
		return s2e_usage_fail(&cmd, stderr, "%s", s2e_error_last());
	if (s2e_image_create(argv[0], size, force)) {
		fprintf(stderr, "s2e-mkimage: %s\n", s2e_error_last());
		return 1;
	}
	if (verbose)
		fprintf(stderr, "s2e-mkimage: created %s, %llu bytes, sparse\n", argv[0],
			(unsigned long long)size);
	return 0;
}
