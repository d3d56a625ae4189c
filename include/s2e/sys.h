/* Facts about the machine the tools run on. */
#ifndef S2E_SYS_H
#define S2E_SYS_H

/* Online processors, at least 1: the thread count when a caller says 0
 * (callers cap it at what they can use). */
unsigned s2e_cores(void);

#endif
