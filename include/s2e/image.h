/* Raw disk images. */
#ifndef S2E_IMAGE_H
#define S2E_IMAGE_H

#include <stdint.h>

/* Create a sparse raw image of `size` bytes at path, through a temporary file
 * in the same directory: it appears complete or not at all.  Without force an
 * existing path is an error. */
int s2e_image_create(const char *path, uint64_t size, int force);

/* Refuse a file that is not a raw disk image but one in a format of its
 * own, known by its magic: qcow/qcow2 ("QFI\xfb"), VMDK ("KDMV", or a
 * "# Disk DescriptorFile" text), VDI (its signature at 0x40), VHDX
 * ("vhdxfile"), VHD ("conectix" at the start, or in the footer of a fixed
 * VHD) and ISO 9660 ("CD001" at 0x8001).  S2E runs raw images only: the
 * error names the format and says how to convert it.  0 for anything else
 * (a raw image has no magic to check). */
int s2e_image_check_raw(const char *path);

#endif
