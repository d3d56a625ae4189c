/* s2e-mkimage: create a sparse raw disk image. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "s2e/error.h"
#include "s2e/image.h"
#include "s2e/size.h"

static const char usage[] = "usage: s2e-mkimage [-f] [-v] PATH SIZE\n"
			    "\n"
			    "  -f, --force     replace an existing file at PATH\n"
			    "  -v, --verbose   say what was made\n"
			    "  -h, --help      show this help\n"
			    "\n"
			    "SIZE: 7680M, 5G, 512K, 1.5G, 1T or bytes (binary units, rounded up to 512).\n";

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"force", no_argument, NULL, 'f'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, force = 0, verbose = 0;
	uint64_t size;

	while ((c = getopt_long(argc, argv, "+fvh", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "s2e-mkimage: expected PATH and SIZE\n%s", usage);
		return 2;
	}
	if (s2e_size_parse(argv[optind + 1], &size) ||
	    s2e_image_create(argv[optind], size, force)) {
		fprintf(stderr, "s2e-mkimage: %s\n", s2e_error_last());
		return 1;
	}
	if (verbose)
		fprintf(stderr, "s2e-mkimage: created %s, %llu bytes, sparse\n", argv[optind],
			(unsigned long long)size);
	return 0;
}
