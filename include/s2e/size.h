/* Image sizes as users type them (SPEC §2): 7680M, 5G, 512K, 1.5G, 1T, plain
 * bytes; K/M/G/T are binary, KiB/MiB/GiB/TiB and lower case are accepted, and
 * the result is rounded up to a multiple of 512 bytes. */
#ifndef S2E_SIZE_H
#define S2E_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* Largest accepted size: what off_t can hold, rounded down to 512. */
#define S2E_SIZE_MAX ((uint64_t)INT64_MAX & ~(uint64_t)511)

int s2e_size_parse(const char *text, uint64_t *bytes);
/* The size as typed, made a unit: "7680M" -> "7680MiB", "4096" -> "4096B". */
int s2e_size_label(const char *text, char *buf, size_t len);
/* "7680.0MiB", the list format. */
void s2e_size_mib(uint64_t bytes, char *buf, size_t len);
/* "1.2 GiB", for people (progress bars, summaries). */
void s2e_size_human(uint64_t bytes, char *buf, size_t len);

#endif
