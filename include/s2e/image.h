/* Raw disk images. */
#ifndef S2E_IMAGE_H
#define S2E_IMAGE_H

#include <stdint.h>

/* Create a sparse raw image of `size` bytes at path, through a temporary file
 * in the same directory: it appears complete or not at all.  Without force an
 * existing path is an error. */
int s2e_image_create(const char *path, uint64_t size, int force);

#endif
