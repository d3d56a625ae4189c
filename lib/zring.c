/* An ordered ring of blocks processed by a pool of workers; see
 * include/s2e/zring.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/zring.h"

/* Keep the first failure (the message is per thread); under the mutex. */
static void ring_fail(struct s2e_zring *r, const char *msg)
{
	if (!r->failed) {
		snprintf(r->err, sizeof(r->err), "%s", msg);
		r->failed = 1;
	}
	pthread_cond_broadcast(&r->done);
	pthread_cond_broadcast(&r->space);
}

/* The failure as this thread's error; under the mutex. */
static int ring_error(struct s2e_zring *r)
{
	if (r->failed)
		return s2e_error("%s", r->err);
	return s2e_error("stopped");
}

/* The next pending slot for a worker, NULL when stopped; under the mutex. */
static struct s2e_zslot *take_pending(struct s2e_zring *r)
{
	for (;;) {
		while (!r->stop && r->next == r->tail)
			pthread_cond_wait(&r->work, &r->mu);
		if (r->stop)
			return NULL;
		if (r->next < r->head)
			r->next = r->head;
		if (r->next == r->tail)
			continue;
		struct s2e_zslot *s = &r->slots[r->next % r->n];
		r->next++;
		if (s->state == S2E_ZSLOT_PENDING)
			return s;
	}
}

struct worker_start {
	struct s2e_zring *r;
	unsigned index;
};

static void *ring_worker(void *arg)
{
	struct worker_start *ws = arg;
	struct s2e_zring *r = ws->r;
	unsigned index = ws->index;
	struct s2e_zslot *s;

	free(ws);
	pthread_mutex_lock(&r->mu);
	while ((s = take_pending(r))) {
		s->state = S2E_ZSLOT_WORKING;
		pthread_mutex_unlock(&r->mu);
		int rc = r->fn(r, index, s);
		pthread_mutex_lock(&r->mu);
		if (rc)
			ring_fail(r, s2e_error_last());
		else
			s->state = S2E_ZSLOT_DONE;
		pthread_cond_broadcast(&r->done);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

void s2e_zring_stop(struct s2e_zring *r)
{
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->work);
	pthread_cond_broadcast(&r->done);
	pthread_cond_broadcast(&r->space);
	pthread_mutex_unlock(&r->mu);
}

void s2e_zring_free(struct s2e_zring *r)
{
	if (!r->slots)
		return;
	s2e_zring_stop(r);
	for (unsigned i = 0; i < r->nworkers; i++)
		pthread_join(r->tids[i], NULL);
	for (unsigned i = 0; i < r->n; i++) {
		free(r->slots[i].in);
		free(r->slots[i].out);
	}
	free(r->slots);
	r->slots = NULL;
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->done);
	pthread_cond_destroy(&r->space);
}

static int alloc_slots(struct s2e_zring *r, size_t in_cap, size_t out_cap)
{
	r->slots = calloc(r->n, sizeof(*r->slots));
	if (!r->slots)
		return -1;
	for (unsigned i = 0; i < r->n; i++) {
		struct s2e_zslot *s = &r->slots[i];
		s->in_cap = in_cap;
		s->out_cap = out_cap;
		if ((in_cap && !(s->in = malloc(in_cap))) ||
		    (out_cap && !(s->out = malloc(out_cap))))
			return -1;
	}
	return 0;
}

static int start_workers(struct s2e_zring *r, unsigned nworkers)
{
	for (unsigned i = 0; i < nworkers && i < S2E_ZRING_MAX_WORKERS; i++) {
		struct worker_start *ws = malloc(sizeof(*ws));
		if (!ws)
			return s2e_error("out of memory");
		ws->r = r;
		ws->index = i;
		if (pthread_create(&r->tids[i], NULL, ring_worker, ws)) {
			free(ws);
			return s2e_error("cannot start compression threads");
		}
		r->nworkers++;
	}
	return 0;
}

int s2e_zring_init(struct s2e_zring *r, unsigned nslots, size_t in_cap, size_t out_cap,
		   unsigned nworkers, s2e_zring_job fn, void *owner)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->done, NULL);
	pthread_cond_init(&r->space, NULL);
	r->n = nslots;
	r->fn = fn;
	r->owner = owner;
	if (alloc_slots(r, in_cap, out_cap)) {
		s2e_error("out of memory");
		goto fail;
	}
	if (start_workers(r, nworkers))
		goto fail;
	return 0;
fail:
	if (!r->slots) {
		/* s2e_zring_free only tears down a ring that has slots. */
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->work);
		pthread_cond_destroy(&r->done);
		pthread_cond_destroy(&r->space);
		return -1;
	}
	s2e_zring_free(r);
	return -1;
}

struct s2e_zslot *s2e_zring_get(struct s2e_zring *r)
{
	struct s2e_zslot *s = NULL;

	pthread_mutex_lock(&r->mu);
	while (!r->stop && !r->failed && r->tail - r->head == r->n)
		pthread_cond_wait(&r->space, &r->mu);
	if (r->stop || r->failed)
		ring_error(r);
	else
		s = &r->slots[r->tail % r->n];
	pthread_mutex_unlock(&r->mu);
	return s;
}

void s2e_zring_submit(struct s2e_zring *r, int state)
{
	pthread_mutex_lock(&r->mu);
	r->slots[r->tail % r->n].state = state;
	r->tail++;
	if (state == S2E_ZSLOT_PENDING)
		pthread_cond_signal(&r->work);
	else
		pthread_cond_broadcast(&r->done);
	pthread_mutex_unlock(&r->mu);
}

void s2e_zring_end(struct s2e_zring *r, int rc)
{
	pthread_mutex_lock(&r->mu);
	if (rc)
		ring_fail(r, s2e_error_last());
	r->eof = 1;
	pthread_cond_broadcast(&r->done);
	pthread_mutex_unlock(&r->mu);
}

int s2e_zring_full(struct s2e_zring *r)
{
	int full;

	pthread_mutex_lock(&r->mu);
	full = r->tail - r->head == r->n;
	pthread_mutex_unlock(&r->mu);
	return full;
}

int s2e_zring_empty(struct s2e_zring *r)
{
	int empty;

	pthread_mutex_lock(&r->mu);
	empty = r->tail == r->head;
	pthread_mutex_unlock(&r->mu);
	return empty;
}

int s2e_zring_head(struct s2e_zring *r, int wait_end, struct s2e_zslot **slot)
{
	int rc;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		if (r->failed) {
			rc = ring_error(r);
			break;
		}
		if (r->head == r->tail) {
			if (!wait_end || r->eof || r->stop) {
				rc = 0;
				break;
			}
		} else if (r->slots[r->head % r->n].state == S2E_ZSLOT_DONE) {
			*slot = &r->slots[r->head % r->n];
			rc = 1;
			break;
		}
		pthread_cond_wait(&r->done, &r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

void s2e_zring_release(struct s2e_zring *r)
{
	pthread_mutex_lock(&r->mu);
	r->slots[r->head % r->n].state = S2E_ZSLOT_FREE;
	r->head++;
	pthread_cond_signal(&r->space);
	pthread_mutex_unlock(&r->mu);
}

int s2e_zring_check(struct s2e_zring *r)
{
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	if (r->failed)
		rc = ring_error(r);
	pthread_mutex_unlock(&r->mu);
	return rc;
}
