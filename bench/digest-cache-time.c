/* bench/digest-cache-time ROOT FILE [N]: call s2e_digest_cached(ROOT, FILE)
 * -- the call a run's pre-run digest step makes -- N times (default 1) and
 * print one line per call: "SECONDS HASHED DIGEST" (HASHED: 1 when the
 * file was read, 0 for a cache hit).  Built and run by bench/digest-cache. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "s2e/digest-cache.h"
#include "s2e/error.h"

int main(int argc, char **argv)
{
	int n = argc > 3 ? atoi(argv[3]) : 1;

	if (argc < 3 || argc > 4 || n < 1) {
		fprintf(stderr, "usage: digest-cache-time ROOT FILE [N]\n");
		return 2;
	}
	for (int i = 0; i < n; i++) {
		struct timespec t0, t1;
		char digest[S2E_DIGEST_LEN];
		int hashed = 0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (s2e_digest_cached(argv[1], argv[2], 0, NULL, digest, &hashed)) {
			fprintf(stderr, "digest-cache-time: %s\n", s2e_error_last());
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("%.6f %d %s\n",
		       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		       hashed, digest);
	}
	return 0;
}
