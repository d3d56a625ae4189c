/* A file that appears complete or not at all (SPEC §7): written through an
 * anonymous O_TMPFILE in the target's directory (or, where the file system
 * has none, a hidden `.NAME.XXXXXX` temporary there), made durable, then put
 * in place in one step:
 *   - without force, linked to PATH, which fails if PATH exists by then (no
 *     check-then-act window);
 *   - with force, linked to a hidden temporary name next to PATH and renamed
 *     over it, so that the old PATH stays until the new one replaces it.
 * On any failure, or on abort, nothing is left behind and an old PATH is
 * untouched.
 *
 *   struct s2e_output out;
 *   if (s2e_output_open(&out, path, force)) ...;   // out.fd: write here
 *   ... write ...
 *   if (s2e_output_commit(&out)) ...;              // closes out.fd
 *   s2e_output_abort(&out);                        // always: a no-op after commit
 */
#ifndef S2E_OUTPUT_H
#define S2E_OUTPUT_H

struct s2e_output {
	int fd;
	int force;
	char *path;
	char *tmp; /* the named temporary, when there is one */
};

/* Refuses an existing PATH without force (checked again at commit). */
int s2e_output_open(struct s2e_output *out, const char *path, int force);
int s2e_output_commit(struct s2e_output *out);
void s2e_output_abort(struct s2e_output *out);

#endif
