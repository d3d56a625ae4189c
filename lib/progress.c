/* A progress bar on a terminal; see include/s2e/progress.h.  One mutex guards
 * the count and the drawing, so any thread may report progress. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "s2e/progress.h"
#include "s2e/size.h"

struct s2e_progress {
	int fd;
	char label[64];
	uint64_t total, done;
	uint64_t chunks, chunks_done, sent, skipped; /* chunks: 0 unless a transfer */
	const char *verb;
	double start, last_draw;
	pthread_mutex_t lock;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(struct s2e_progress *p, double t);

/* Set once a bar may be on a terminal; read by every status line. */
static int shown;

void s2e_progress_lent(void)
{
	__atomic_store_n(&shown, 1, __ATOMIC_RELAXED);
}

int s2e_progress_shown(void)
{
	return __atomic_load_n(&shown, __ATOMIC_RELAXED);
}

int s2e_progress_tty(int fd)
{
	const char *term = getenv("TERM");

	return fd >= 0 && isatty(fd) && !(term && !strcmp(term, "dumb"));
}

struct s2e_progress *s2e_progress_start(int fd, const char *label, uint64_t total)
{
	struct s2e_progress *p;

	if (!s2e_progress_tty(fd))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->fd = fd;
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->total = total;
	p->start = now();
	pthread_mutex_init(&p->lock, NULL);
	s2e_progress_lent();
	draw(p, p->start); /* at once: the user sees the work start */
	/* and the first update draws again, so a short job shows its counts
	 * (and a transfer's chunks, set after the start) too */
	p->last_draw = p->start - 1;
	return p;
}

static int columns(int fd)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

static void draw(struct s2e_progress *p, double t)
{
	char line[512], done[32], rate[32], bar[128];
	double elapsed = t - p->start, fraction, speed;
	int width, filled, n;
	long eta = -1;

	fraction = p->total ? (double)p->done / (double)p->total : 0;
	if (fraction > 1)
		fraction = 1;
	speed = elapsed > 0 ? (double)p->done / elapsed : 0;
	if (speed > 0 && p->total >= p->done)
		eta = (long)((double)(p->total - p->done) / speed);
	s2e_size_human(p->done, done, sizeof(done));
	s2e_size_human((uint64_t)speed, rate, sizeof(rate));
	width = columns(p->fd) - (int)strlen(p->label) - (p->chunks ? 96 : 48);
	if (width > (int)sizeof(bar) - 1)
		width = sizeof(bar) - 1;
	if (width < 10)
		width = 10;
	filled = (int)(fraction * width);
	memset(bar, '#', (size_t)filled);
	memset(bar + filled, '-', (size_t)(width - filled));
	bar[width] = '\0';
	if (p->chunks) {
		char sent[32], skipped[32];
		s2e_size_human(p->sent, sent, sizeof(sent));
		s2e_size_human(p->skipped, skipped, sizeof(skipped));
		snprintf(done, sizeof(done), "%llu/%llu", (unsigned long long)p->chunks_done,
			 (unsigned long long)p->chunks);
		n = snprintf(line, sizeof(line), "\r%s [%s] %3d%% %s chunks, %s %s, %s skipped, %s/s",
			     p->label, bar, (int)(fraction * 100), done, sent, p->verb, skipped, rate);
	} else {
		n = snprintf(line, sizeof(line), "\r%s [%s] %3d%% %s %s/s", p->label, bar,
			     (int)(fraction * 100), done, rate);
	}
	if (n > 0 && (size_t)n < sizeof(line) && eta >= 0)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " ETA %ld:%02ld", eta / 60, eta % 60);
	if (n > 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n, "\033[K");
	if (n > 0 && write(p->fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
		p->fd = -1;
	p->last_draw = t;
}

static void set_done(struct s2e_progress *p, uint64_t done, int relative)
{
	double t;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->done = relative ? p->done + done : done;
	t = now();
	if (p->fd >= 0 && t - p->last_draw >= 0.2)
		draw(p, t);
	pthread_mutex_unlock(&p->lock);
}

void s2e_progress_update(struct s2e_progress *p, uint64_t done)
{
	set_done(p, done, 0);
}

void s2e_progress_add(struct s2e_progress *p, uint64_t delta)
{
	set_done(p, delta, 1);
}

void s2e_progress_set_chunks(struct s2e_progress *p, uint64_t chunks, const char *verb)
{
	if (p) {
		p->chunks = chunks;
		p->verb = verb;
	}
}

void s2e_progress_chunk(struct s2e_progress *p, uint64_t size, uint64_t sent)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->chunks_done++;
	if (sent)
		p->sent += sent;
	else
		p->skipped += size;
	pthread_mutex_unlock(&p->lock);
	set_done(p, size, 1);
}

void s2e_progress_clear(struct s2e_progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->fd >= 0 && write(p->fd, "\r\033[K", 4) < 0)
		p->fd = -1;
	pthread_mutex_unlock(&p->lock);
}

void s2e_progress_finish(struct s2e_progress *p)
{
	if (!p)
		return;
	if (p->fd >= 0 && write(p->fd, "\r\033[K", 4) < 0)
		p->fd = -1;
	pthread_mutex_destroy(&p->lock);
	free(p);
}
