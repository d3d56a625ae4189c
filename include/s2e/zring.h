/* An ordered ring of blocks processed by a pool of worker threads: the
 * engine under the compressing writer (zwriter.h) and the decompressing
 * source (zsource.h).  Internal to those two modules.
 *
 * One producer thread fills slots in order (s2e_zring_get, then
 * s2e_zring_submit: PENDING for a worker to process, or DONE when the producer
 * did the work itself).  Workers run the job function on pending slots, in
 * any order and in parallel.  One consumer thread takes the slots back in the
 * order they were submitted (s2e_zring_head, then s2e_zring_release).
 * Producer and consumer may be the same thread.  Memory is bounded: at most
 * `nslots` blocks are in flight, and the producer waits for room.
 *
 * Every field shared between threads is read and written under the ring's
 * mutex; the functions below are the only way in.  The first failure (of a
 * job, or of the producer) is kept, and every later call of the consumer
 * returns it. */
#ifndef S2E_ZRING_H
#define S2E_ZRING_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Most worker threads one ring runs. */
#define S2E_ZRING_MAX_WORKERS 16

enum s2e_zslot_state { S2E_ZSLOT_FREE, S2E_ZSLOT_PENDING, S2E_ZSLOT_WORKING, S2E_ZSLOT_DONE };

/* A block: input and output buffers of fixed capacity.  The thread that holds
 * the slot (producer while filling, a worker while processing, consumer
 * between head and release) owns its buffers. */
struct s2e_zslot {
	unsigned char *in, *out;
	size_t in_len, out_len, in_cap, out_cap;
	uint32_t crc, isize; /* gzip trailer, for decompression */
	int state;	     /* under the ring's mutex */
};

struct s2e_zring;
/* Process one slot on worker number `worker` (0 .. nworkers-1); 0, or -1
 * with the error set (it becomes the ring's error). */
typedef int (*s2e_zring_job)(struct s2e_zring *r, unsigned worker, struct s2e_zslot *s);

struct s2e_zring {
	pthread_mutex_t mu;
	pthread_cond_t work, done, space;
	struct s2e_zslot *slots;
	unsigned n;
	uint64_t head, tail, next;
	int stop, eof, failed;
	char err[512];
	s2e_zring_job fn;
	void *owner; /* for the job function */
	pthread_t tids[S2E_ZRING_MAX_WORKERS];
	unsigned nworkers;
};

/* nslots slots with buffers of in_cap and out_cap bytes (0: none), and
 * nworkers threads running fn.  0, or -1 with the error set (nothing left
 * allocated). */
int s2e_zring_init(struct s2e_zring *r, unsigned nslots, size_t in_cap, size_t out_cap,
		   unsigned nworkers, s2e_zring_job fn, void *owner);
/* Stop and join the workers and free the slots; a no-op on a ring that
 * s2e_zring_init did not set up (zeroed memory). */
void s2e_zring_free(struct s2e_zring *r);

/* Producer: the slot to fill next, waiting for room; NULL (error set) when
 * the ring was stopped or has failed. */
struct s2e_zslot *s2e_zring_get(struct s2e_zring *r);
/* Producer: hand the slot from s2e_zring_get on, PENDING or DONE. */
void s2e_zring_submit(struct s2e_zring *r, int state);
/* Producer: no more slots will come; if rc is not 0 the producer failed with
 * the calling thread's current error, which becomes the ring's error. */
void s2e_zring_end(struct s2e_zring *r, int rc);
/* 1 when every slot is in flight (s2e_zring_get would wait). */
int s2e_zring_full(struct s2e_zring *r);
/* 1 when nothing is in flight. */
int s2e_zring_empty(struct s2e_zring *r);

/* Consumer: wait for the oldest slot.  1 with *slot set; 0 when nothing is in
 * flight and (if wait_end) the producer has ended; -1 with the ring's error
 * set when a job or the producer failed. */
int s2e_zring_head(struct s2e_zring *r, int wait_end, struct s2e_zslot **slot);
/* Consumer: give the slot from s2e_zring_head back. */
void s2e_zring_release(struct s2e_zring *r);
/* 0, or -1 with the ring's error set if anything failed so far. */
int s2e_zring_check(struct s2e_zring *r);
/* Wake and stop everyone waiting (the consumer is going away). */
void s2e_zring_stop(struct s2e_zring *r);

#endif
