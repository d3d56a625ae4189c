/* VM and snapshot names (SPEC §2).  Both are checked before anything on disk
 * is touched, so a bad name never leaves a trace. */
#ifndef S2E_NAMES_H
#define S2E_NAMES_H

#define S2E_NAME_MAX 128

/* 1–128 bytes of valid UTF-8, no '/', ':', control characters, no leading '.'. */
int s2e_vm_name_check(const char *name);
/* 1–128 bytes of valid UTF-8, no '/' or control characters. */
int s2e_snap_name_check(const char *name);
/* Split "NAME[:SNAP]" at the first ':' and check both parts.  *snap is NULL
 * when there is no ':'.  Both results are malloc'd. */
int s2e_vm_ref_parse(const char *ref, char **vm, char **snap);

#endif
