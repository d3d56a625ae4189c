#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "s2e/batch.h"
#include "s2e/digest.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/quote.h"

#define MAX_DEPTH 8
#define MAX_NODES 100000
#define MAX_VALUE 4096

/* ---- a small YAML tree, built from libyaml's events ---- */

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ykind kind;
	size_t line;	    /* 1-based */
	char *value;	    /* scalars */
	struct ynode *kids; /* seq: items; map: key, value, key, value... */
	size_t nkids;
};

struct yparse {
	yaml_parser_t parser;
	const char *origin;
	size_t nodes;
};

static void ynode_free(struct ynode *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		ynode_free(&n->kids[i]);
	free(n->kids);
	free(n->value);
}

static int at(const char *origin, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int at(const char *origin, size_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		return s2e_error("%s:%zu: %s", origin, line, msg);
	return s2e_error("%s: %s", origin, msg);
}

static int next_event(struct yparse *p, yaml_event_t *ev)
{
	if (yaml_parser_parse(&p->parser, ev))
		return 0;
	return at(p->origin, p->parser.problem_mark.line + 1, "not valid YAML: %s",
		  p->parser.problem ? p->parser.problem : "parse error");
}

static int build(struct yparse *p, yaml_event_t *ev, struct ynode *n, int depth);

/* Items of a sequence or mapping until its end event. */
static int build_kids(struct yparse *p, struct ynode *n, yaml_event_type_t end, int depth)
{
	for (;;) {
		yaml_event_t ev;
		struct ynode *grown;
		int rc;

		if (next_event(p, &ev))
			return -1;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		grown = realloc(n->kids, (n->nkids + 1) * sizeof(*n->kids));
		if (!grown) {
			yaml_event_delete(&ev);
			return s2e_error("out of memory");
		}
		n->kids = grown;
		memset(&n->kids[n->nkids], 0, sizeof(*n->kids));
		rc = build(p, &ev, &n->kids[n->nkids++], depth + 1);
		yaml_event_delete(&ev);
		if (rc)
			return -1;
	}
	if (n->kind == Y_MAP && n->nkids % 2)
		return at(p->origin, n->line, "a mapping without a value");
	return 0;
}

static int build(struct yparse *p, yaml_event_t *ev, struct ynode *n, int depth)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	size_t line = ev->start_mark.line + 1;

	n->line = line;
	if (depth > MAX_DEPTH || ++p->nodes > MAX_NODES)
		return at(p->origin, line, "nested too deep or too large");
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return at(p->origin, line, "aliases (*%s) are not allowed", ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		n->kind = Y_SCALAR;
		if (ev->data.scalar.length > MAX_VALUE ||
		    memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
			return at(p->origin, line, "a value longer than %d bytes or holding NUL",
				  MAX_VALUE);
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		n->kind = Y_SEQ;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		n->kind = Y_MAP;
		break;
	default:
		return at(p->origin, line, "unexpected YAML event");
	}
	if (anchor)
		return at(p->origin, line, "anchors (&%s) are not allowed", anchor);
	if (tag)
		return at(p->origin, line, "tags (%s) are not allowed", tag);
	if (n->kind == Y_SCALAR) {
		n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		return n->value ? 0 : s2e_error("out of memory");
	}
	return build_kids(p, n, n->kind == Y_SEQ ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT,
			  depth);
}

/* The one document of the stream as a tree. */
static int load_tree(const char *text, size_t len, const char *origin, struct ynode *root)
{
	struct yparse p = {.origin = origin};
	yaml_event_t ev;
	int rc = -1, stage = 0;

	memset(root, 0, sizeof(*root));
	if (len > S2E_BATCH_MAX_BYTES)
		return at(origin, 0, "larger than %d bytes", S2E_BATCH_MAX_BYTES);
	if (!yaml_parser_initialize(&p.parser))
		return s2e_error("out of memory");
	yaml_parser_set_input_string(&p.parser, (const unsigned char *)text, len);
	/* STREAM_START DOCUMENT_START node DOCUMENT_END STREAM_END */
	while (next_event(&p, &ev) == 0) {
		yaml_event_type_t t = ev.type;
		size_t line = ev.start_mark.line + 1;
		if (stage == 2) {
			rc = build(&p, &ev, root, 0);
			yaml_event_delete(&ev);
			if (rc)
				break;
			rc = -1;
			stage++;
			continue;
		}
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT) {
			if (stage == 4)
				rc = 0;
			else
				at(origin, 0, "the batch file is empty");
			break;
		}
		if ((stage == 0 && t != YAML_STREAM_START_EVENT) ||
		    (stage == 1 && t != YAML_DOCUMENT_START_EVENT) ||
		    (stage == 3 && t != YAML_DOCUMENT_END_EVENT) || stage == 4) {
			at(origin, line, "only one YAML document is allowed");
			break;
		}
		stage++;
	}
	yaml_parser_delete(&p.parser);
	if (rc)
		ynode_free(root);
	return rc;
}

/* ---- the batch file's meaning ---- */

enum { F_VM, F_MODE, F_BUILD, F_CONFIG, F_TIMEOUT, F_MEMORY, F_LINE, F_EXPNAME, F_QEMU_OPTS, NFIELDS };
static const char *const field_names[NFIELDS] = {
	"vm", "mode", "build", "config", "timeout", "memory", "line", "expname", "qemu-opts",
};

struct var {
	const char *name;
	const struct ynode *values; /* a scalar (one value) or a sequence of scalars */
};

struct spec {
	const char *origin;
	struct var *vars;
	size_t nvars;
	const struct ynode *top[NFIELDS]; /* defaults; NULL: unset */
	const struct ynode *commands;
	const char *name, *store, *digest, *mismatch;
	unsigned long monitor, vnc;
};

static size_t nvalues(const struct var *v)
{
	return v->values->kind == Y_SCALAR ? 1 : v->values->nkids;
}

static const char *value(const struct var *v, size_t i)
{
	return v->values->kind == Y_SCALAR ? v->values->value : v->values->kids[i].value;
}

static int is_name_char(int c, int first)
{
	return isalpha(c) || c == '_' || (!first && (isdigit(c) || c == '-'));
}

/* Length of NAME when s is "{NAME}...", else 0. */
static size_t ref_len(const char *s)
{
	size_t i = 1;

	if (s[0] != '{' || !is_name_char((unsigned char)s[1], 1))
		return 0;
	while (is_name_char((unsigned char)s[i], 0))
		i++;
	return s[i] == '}' ? i - 1 : 0;
}

static long find_var(const struct spec *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->nvars; i++)
		if (strlen(s->vars[i].name) == len && !strncmp(s->vars[i].name, name, len))
			return (long)i;
	return -1;
}

/* Mark in used[] the variables tmpl refers to; an unknown one is an error. */
static int scan_refs(const struct spec *s, const struct ynode *n, int *used)
{
	for (const char *p = n->value; *p; p++) {
		size_t len = ref_len(p);
		long v;
		if (!len)
			continue;
		v = find_var(s, p + 1, len);
		if (v < 0)
			return at(s->origin, n->line, "{%.*s}: no such variable", (int)len, p + 1);
		used[v] = 1;
		p += len + 1;
	}
	return 0;
}

/* tmpl with each {NAME} replaced by the value pick[] gives NAME; malloc'd. */
static char *subst(const struct spec *s, const char *tmpl, const size_t *pick)
{
	size_t cap = strlen(tmpl) + 1, len = 0;
	char *out = malloc(cap);

	for (const char *p = tmpl; out && *p;) {
		size_t rl = ref_len(p), vl;
		const char *piece = p;
		char *grown;
		if (rl) {
			long v = find_var(s, p + 1, rl);
			piece = value(&s->vars[v], pick[v]);
			vl = strlen(piece);
			p += rl + 2;
		} else {
			vl = 1;
			p++;
		}
		if (len + vl + 1 > cap) {
			cap = (len + vl + 1) * 2;
			if (!(grown = realloc(out, cap))) {
				free(out);
				out = NULL;
				break;
			}
			out = grown;
		}
		memcpy(out + len, piece, vl);
		len += vl;
	}
	if (!out) {
		s2e_error("out of memory");
		return NULL;
	}
	out[len] = '\0';
	return out;
}

/* A field of the top level or of a command: a scalar, or for qemu-opts a
 * sequence of scalars too. */
static int set_field(const struct spec *s, const struct ynode *key, const struct ynode *val,
		     const struct ynode **fields)
{
	for (int f = 0; f < NFIELDS; f++) {
		if (strcmp(key->value, field_names[f]))
			continue;
		if (val->kind == Y_MAP || (val->kind == Y_SEQ && f != F_QEMU_OPTS))
			return at(s->origin, val->line, "%s: must be a single value", key->value);
		for (size_t i = 0; val->kind == Y_SEQ && i < val->nkids; i++)
			if (val->kids[i].kind != Y_SCALAR)
				return at(s->origin, val->kids[i].line,
					  "qemu-opts: must be a list of words");
		fields[f] = val;
		return 1;
	}
	return 0;
}

/* Duplicate keys of a mapping are an error (YAML says so, libyaml lets them by). */
static int check_keys(const struct spec *s, const struct ynode *map)
{
	for (size_t i = 0; i < map->nkids; i += 2) {
		if (map->kids[i].kind != Y_SCALAR)
			return at(s->origin, map->kids[i].line, "keys must be plain words");
		for (size_t j = 0; j < i; j += 2)
			if (!strcmp(map->kids[i].value, map->kids[j].value))
				return at(s->origin, map->kids[i].line, "%s: given twice",
					  map->kids[i].value);
	}
	return 0;
}

static int read_variables(struct spec *s, const struct ynode *map)
{
	if (map->kind != Y_MAP)
		return at(s->origin, map->line, "variables: must map names to lists of values");
	if (check_keys(s, map))
		return -1;
	s->vars = calloc(map->nkids / 2 + 1, sizeof(*s->vars));
	if (!s->vars)
		return s2e_error("out of memory");
	for (size_t i = 0; i < map->nkids; i += 2) {
		const struct ynode *k = &map->kids[i], *v = &map->kids[i + 1];
		size_t len = strlen(k->value);
		if (!len || ref_len(k->value) || len > 64 ||
		    !is_name_char((unsigned char)k->value[0], 1))
			goto bad_name;
		for (size_t j = 1; j < len; j++)
			if (!is_name_char((unsigned char)k->value[j], 0))
				goto bad_name;
		if (v->kind == Y_MAP)
			return at(s->origin, v->line, "variable %s: must be a list of values",
				  k->value);
		for (size_t j = 0; v->kind == Y_SEQ && j < v->nkids; j++)
			if (v->kids[j].kind != Y_SCALAR)
				return at(s->origin, v->kids[j].line,
					  "variable %s: values must be single values", k->value);
		s->vars[s->nvars].name = k->value;
		s->vars[s->nvars++].values = v;
		continue;
bad_name:
		return at(s->origin, k->line, "%s: a variable name is letters, digits, '_' and '-'",
			  s2e_q(k->value));
	}
	return 0;
}

/* A port or display base: a decimal number up to max. */
static int read_number(const struct spec *s, const struct ynode *k, const struct ynode *v,
		       unsigned long max, unsigned long *out)
{
	char *end = NULL;

	if (v->kind == Y_SCALAR && isdigit((unsigned char)v->value[0]))
		*out = strtoul(v->value, &end, 10);
	if (!end || *end || *out > max)
		return at(s->origin, v->line, "%s: must be a number up to %lu", k->value, max);
	return 0;
}

/* batch:, store:, vm-digest:, store-mismatch: (single values). */
static int read_store_key(struct spec *s, const struct ynode *k, const struct ynode *v)
{
	const char *const keys[] = {"batch", "store", "vm-digest", "store-mismatch"};
	const char **to[] = {&s->name, &s->store, &s->digest, &s->mismatch};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(k->value, keys[i]))
			continue;
		if (v->kind != Y_SCALAR)
			return at(s->origin, v->line, "%s: must be a single value", k->value);
		*to[i] = v->value;
		if (i == 2 && !s2e_digest_valid(v->value))
			return at(s->origin, v->line, "vm-digest: %s is not a sha256-1m: digest",
				  s2e_q(v->value));
		if (i == 3 && strcmp(v->value, "refuse") && strcmp(v->value, "local"))
			return at(s->origin, v->line, "store-mismatch: %s: refuse or local",
				  s2e_q(v->value));
		return 0;
	}
	return at(s->origin, k->line, "%s: unknown key", s2e_q(k->value));
}

static int read_top(struct spec *s, const struct ynode *root)
{
	if (root->kind != Y_MAP)
		return at(s->origin, root->line, "a batch file is a mapping (batch:, variables:, "
						 "commands:, ...)");
	if (check_keys(s, root))
		return -1;
	for (size_t i = 0; i < root->nkids; i += 2) {
		const struct ynode *k = &root->kids[i], *v = &root->kids[i + 1];
		int rc = set_field(s, k, v, s->top);
		if (rc < 0)
			return -1;
		if (rc)
			continue;
		if (!strcmp(k->value, "variables"))
			rc = read_variables(s, v);
		else if (!strcmp(k->value, "commands"))
			s->commands = v;
		else if (!strcmp(k->value, "monitor-port"))
			rc = read_number(s, k, v, 65535 - S2E_BATCH_MAX_JOBS, &s->monitor);
		else if (!strcmp(k->value, "vnc-display"))
			rc = read_number(s, k, v, 65535 - 5900 - S2E_BATCH_MAX_JOBS, &s->vnc);
		else
			rc = read_store_key(s, k, v);
		if (rc)
			return -1;
	}
	if (!s->commands)
		return at(s->origin, 0, "no commands: (nothing to run)");
	if (s->commands->kind != Y_SEQ || !s->commands->nkids)
		return at(s->origin, s->commands->line, "commands: must be a non-empty list");
	if ((s->digest || s->mismatch) && !s->store)
		return at(s->origin, 0, "%s: needs a store:", s->digest ? "vm-digest" : "store-mismatch");
	return 0;
}

static void job_free(struct s2e_batch_job *j)
{
	char **str[] = {&j->vm, &j->mode, &j->build, &j->config, &j->timeout, &j->memory, &j->line,
			&j->expname};

	for (size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		free(*str[i]);
	for (size_t i = 0; i < j->nqemu_opts; i++)
		free(j->qemu_opts[i]);
	free(j->qemu_opts);
	memset(j, 0, sizeof(*j));
}

/* "BATCH-NNNN[-BASENAME]": BASENAME of the first word of the guest line. */
static char *default_expname(const char *batch, size_t index, const char *line)
{
	const char *w = line, *end, *slash;

	while (w && isspace((unsigned char)*w))
		w++;
	if (!w || !*w)
		return s2e_asprintf("%s-%04zu", batch, index);
	for (end = w; *end && !isspace((unsigned char)*end); end++)
		;
	for (slash = w; slash < end; slash++)
		if (*slash == '/')
			w = slash + 1;
	if (w == end)
		return s2e_asprintf("%s-%04zu", batch, index);
	return s2e_asprintf("%s-%04zu-%.*s", batch, index, (int)(end - w), w);
}

/* Defaults, the experiment name, ports, and the checks of what the
 * substitution produced. */
static int finish_job(const struct spec *s, struct s2e_batch_job *j,
		      const struct s2e_batch_defaults *d, size_t line)
{
	char *vm = NULL, *snap = NULL, *end;
	double t;

	if (!j->vm && d && d->vm && !(j->vm = s2e_strdup(d->vm)))
		return -1;
	if (!j->mode && !(j->mode = s2e_strdup(d && d->mode ? d->mode : "sym")))
		return -1;
	if (!j->vm)
		return at(s->origin, line, "job %zu has no vm (set vm: or name the VM on the "
					   "command line)", j->index);
	if (s2e_vm_ref_parse(j->vm, &vm, &snap))
		return s2e_error_prefix("%s:%zu: job %zu", s->origin, line, j->index);
	free(vm);
	free(snap);
	if (strcmp(j->mode, "kvm") && strcmp(j->mode, "prep") && strcmp(j->mode, "sym"))
		return at(s->origin, line, "job %zu: mode %s is not kvm, prep or sym", j->index,
			  s2e_q(j->mode));
	if (j->timeout && (!(t = strtod(j->timeout, &end)) || *end || !(t > 0 && t < 1e9)))
		return at(s->origin, line, "job %zu: timeout %s is not a number of seconds",
			  j->index, s2e_q(j->timeout));
	if (!j->expname && !(j->expname = default_expname(s->name, j->index, j->line)))
		return -1;
	if (s2e_snap_name_check(j->expname) || j->expname[0] == '.')
		return at(s->origin, line, "job %zu: %s is not a valid experiment name", j->index,
			  s2e_q(j->expname));
	snprintf(j->monitor_port, sizeof(j->monitor_port), "%lu", s->monitor + j->index);
	snprintf(j->vnc_display, sizeof(j->vnc_display), "%lu", s->vnc + j->index);
	return 0;
}

/* One job of a command: its fields with the values pick[] gives. */
static int make_job(const struct spec *s, const struct ynode *const *t, const size_t *pick,
		    struct s2e_batch_job *j)
{
	char **str[] = {&j->vm, &j->mode, &j->build, &j->config, &j->timeout, &j->memory, &j->line,
			&j->expname};
	const struct ynode *q = t[F_QEMU_OPTS];

	for (int f = 0; f < F_QEMU_OPTS; f++)
		if (t[f] && !(*str[f] = subst(s, t[f]->value, pick)))
			return -1;
	if (!q)
		return 0;
	j->nqemu_opts = q->kind == Y_SCALAR ? 1 : q->nkids;
	if (!(j->qemu_opts = calloc(j->nqemu_opts + 1, sizeof(char *))))
		return s2e_error("out of memory");
	for (size_t i = 0; i < j->nqemu_opts; i++)
		if (!(j->qemu_opts[i] = subst(s, q->kind == Y_SCALAR ? q->value : q->kids[i].value,
					      pick)))
			return -1;
	return 0;
}

/* The fields of a command over the top level's, and the variables they use. */
static int command_fields(const struct spec *s, const struct ynode *cmd, const struct ynode **t,
			  int *used)
{
	memcpy(t, s->top, sizeof(s->top));
	if (cmd->kind != Y_MAP)
		return at(s->origin, cmd->line, "a command is a mapping (line:, config:, ...)");
	if (check_keys(s, cmd))
		return -1;
	for (size_t i = 0; i < cmd->nkids; i += 2) {
		int rc = set_field(s, &cmd->kids[i], &cmd->kids[i + 1], t);
		if (rc < 0)
			return -1;
		if (!rc)
			return at(s->origin, cmd->kids[i].line, "%s: unknown key in a command",
				  s2e_q(cmd->kids[i].value));
	}
	for (int f = 0; f < NFIELDS; f++) {
		if (!t[f])
			continue;
		if (t[f]->kind == Y_SCALAR && scan_refs(s, t[f], used))
			return -1;
		for (size_t i = 0; t[f]->kind == Y_SEQ && i < t[f]->nkids; i++)
			if (scan_refs(s, &t[f]->kids[i], used))
				return -1;
	}
	return 0;
}

/* Append the cross-product of one command to b->jobs. */
static int expand_command(const struct spec *s, const struct ynode *cmd,
			  const struct s2e_batch_defaults *d, struct s2e_batch *b)
{
	const struct ynode *t[NFIELDS];
	int *used = calloc(s->nvars + 1, sizeof(int));
	size_t *pick = calloc(s->nvars + 1, sizeof(size_t)), count = 1;
	int rc = -1;

	if (!used || !pick) {
		s2e_error("out of memory");
		goto out;
	}
	if (command_fields(s, cmd, t, used))
		goto out;
	for (size_t v = 0; v < s->nvars; v++) {
		if (!used[v])
			continue;
		if (!nvalues(&s->vars[v])) {
			at(s->origin, s->vars[v].values->line, "variable %s has no values, so the "
				      "command at line %zu has an empty cross-product",
			   s->vars[v].name, cmd->line);
			goto out;
		}
		count *= nvalues(&s->vars[v]);
		if (count > S2E_BATCH_MAX_JOBS) {
			at(s->origin, cmd->line, "more than %d jobs", S2E_BATCH_MAX_JOBS);
			goto out;
		}
	}
	if (b->njobs + count > S2E_BATCH_MAX_JOBS) {
		at(s->origin, cmd->line, "more than %d jobs", S2E_BATCH_MAX_JOBS);
		goto out;
	}
	for (size_t k = 0; k < count; k++) {
		struct s2e_batch_job *j = &b->jobs[b->njobs];
		size_t rest = k;
		for (size_t v = s->nvars; v-- > 0;) { /* the last variable varies fastest */
			if (!used[v])
				continue;
			pick[v] = rest % nvalues(&s->vars[v]);
			rest /= nvalues(&s->vars[v]);
		}
		memset(j, 0, sizeof(*j));
		j->index = b->njobs + 1;
		b->njobs++;
		if (make_job(s, t, pick, j) || finish_job(s, j, d, cmd->line))
			goto out;
	}
	rc = 0;
out:
	free(used);
	free(pick);
	return rc;
}

/* "NAME" of ".../NAME.yaml", NAME.yml or NAME. */
static char *name_of(const char *origin)
{
	const char *base = strrchr(origin, '/') ? strrchr(origin, '/') + 1 : origin;
	size_t len = strlen(base);

	if (len > 5 && !strcmp(base + len - 5, ".yaml"))
		len -= 5;
	else if (len > 4 && !strcmp(base + len - 4, ".yml"))
		len -= 4;
	return len ? strndup(base, len) : s2e_strdup("batch");
}

static int unique_names(const char *origin, const struct s2e_batch *b)
{
	for (size_t i = 0; i < b->njobs; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(b->jobs[i].expname, b->jobs[j].expname))
				return at(origin, 0, "jobs %zu and %zu have the same experiment name %s",
					  b->jobs[j].index, b->jobs[i].index, s2e_q(b->jobs[i].expname));
	return 0;
}

int s2e_batch_parse(const char *text, size_t len, const char *origin,
		    const struct s2e_batch_defaults *defaults, struct s2e_batch *b)
{
	struct spec s = {.origin = origin, .monitor = 4444, .vnc = 0};
	struct ynode root;
	int rc = -1;

	memset(b, 0, sizeof(*b));
	if (load_tree(text, len, origin, &root))
		return -1;
	if (read_top(&s, &root))
		goto out;
	b->name = s.name ? s2e_strdup(s.name) : name_of(origin);
	b->store = s.store ? s2e_strdup(s.store) : NULL;
	b->vm_digest = s.digest ? s2e_strdup(s.digest) : NULL;
	b->mismatch_local = s.mismatch && !strcmp(s.mismatch, "local");
	b->jobs = calloc(S2E_BATCH_MAX_JOBS, sizeof(*b->jobs));
	if (!b->name || (s.store && !b->store) || (s.digest && !b->vm_digest) || !b->jobs) {
		s2e_error("out of memory");
		goto out;
	}
	s.name = b->name;
	if (s2e_snap_name_check(b->name) || b->name[0] == '.') {
		at(origin, 0, "batch name %s: not usable in experiment names", s2e_q(b->name));
		goto out;
	}
	for (size_t i = 0; i < s.commands->nkids; i++)
		if (expand_command(&s, &s.commands->kids[i], defaults, b))
			goto out;
	rc = unique_names(origin, b);
out:
	free(s.vars);
	ynode_free(&root);
	if (rc)
		s2e_batch_free(b);
	return rc;
}

int s2e_batch_load(const char *path, const struct s2e_batch_defaults *defaults,
		   struct s2e_batch *b)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(b, 0, sizeof(*b));
	if (s2e_read_file(path, &text, &len))
		return s2e_error_prefix("batch file %s", s2e_q(path));
	rc = s2e_batch_parse(text, len, path, defaults, b);
	free(text);
	if (!rc && b->store && b->store[0] != '/' && !strstr(b->store, "://")) {
		/* a relative directory store: relative to the batch file */
		const char *slash = strrchr(path, '/');
		char *abs = slash ? s2e_asprintf("%.*s/%s", (int)(slash - path), path, b->store)
				  : s2e_strdup(b->store);
		if (!abs) {
			s2e_batch_free(b);
			return -1;
		}
		free(b->store);
		b->store = abs;
	}
	return rc;
}

void s2e_batch_free(struct s2e_batch *b)
{
	for (size_t i = 0; b->jobs && i < b->njobs; i++)
		job_free(&b->jobs[i]);
	free(b->jobs);
	free(b->name);
	free(b->store);
	free(b->vm_digest);
	memset(b, 0, sizeof(*b));
}

int s2e_batch_job_argv(const struct s2e_batch_job *j, struct s2e_strv *argv)
{
	const char *opts[][2] = {
		{"--expname", j->expname}, {"--build", j->build},	 {"--config-file", j->config},
		{"--timeout", j->timeout}, {"--memory", j->memory},	 {"--monitor-port", j->monitor_port},
		{"--vnc-display", j->vnc_display},
	};

	if (s2e_strv_add(argv, j->vm) || s2e_strv_add(argv, j->mode))
		return -1;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i][1] && (s2e_strv_add(argv, opts[i][0]) || s2e_strv_add(argv, opts[i][1])))
			return -1;
	for (size_t i = 0; i < j->nqemu_opts; i++)
		if (s2e_strv_add(argv, "--qemu-opt") || s2e_strv_add(argv, j->qemu_opts[i]))
			return -1;
	return 0;
}

/* One printable line: control bytes become '?'. */
static void printable(char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
}

static void engine_parts(char *engine, size_t elen, char *id, size_t ilen)
{
	const char *job = getenv("SLURM_ARRAY_JOB_ID"), *task = getenv("SLURM_ARRAY_TASK_ID");
	const char *seq = getenv("PARALLEL_SEQ");

	id[0] = '\0';
	if (!job || !*job)
		job = getenv("SLURM_JOB_ID");
	if (job && *job && task && *task)
		snprintf(id, ilen, "%s_%s", job, task);
	else if (job && *job)
		snprintf(id, ilen, "%s", job);
	else if (seq && *seq)
		snprintf(id, ilen, "%s", seq);
	snprintf(engine, elen, "%s", job && *job ? "slurm" : seq && *seq ? "parallel" : "local");
	printable(id);
}

void s2e_batch_engine_id(char *buf, size_t len)
{
	char engine[16], id[100];

	engine_parts(engine, sizeof(engine), id, sizeof(id));
	snprintf(buf, len, "%s%s%s", engine, *id ? " " : "", id);
}

#define S2E_BATCH_ENV_LINE "S2E_BATCH_GUEST"

int s2e_batch_job_setenv(const struct s2e_batch *b, const struct s2e_batch_job *j,
			 const char *file)
{
	char nm[48];

	snprintf(nm, sizeof(nm), "%zu/%zu", j->index, b->njobs);
	if (setenv(S2E_BATCH_ENV, b->name, 1) || setenv(S2E_BATCH_ENV_FILE, file, 1) ||
	    setenv(S2E_BATCH_ENV_JOB, nm, 1) ||
	    (j->line ? setenv(S2E_BATCH_ENV_LINE, j->line, 1) : unsetenv(S2E_BATCH_ENV_LINE)))
		return s2e_error_errno("cannot set the batch's environment");
	return 0;
}

/* An environment value as one printable line (at most 512 bytes). */
static const char *env_line(const char *name, char *buf, size_t len)
{
	const char *v = getenv(name);
	size_t i = 0;

	for (; v && v[i] && i + 1 < len && i < 512; i++)
		buf[i] = (unsigned char)v[i] < ' ' || v[i] == 0x7f ? '?' : v[i];
	buf[i] = '\0';
	return buf;
}

int s2e_batch_env_read(struct s2e_batch_env *env)
{
	char *slash;

	memset(env, 0, sizeof(*env));
	if (!getenv(S2E_BATCH_ENV) || !getenv(S2E_BATCH_ENV_JOB))
		return 1;
	env_line(S2E_BATCH_ENV, env->name, sizeof(env->name));
	env_line(S2E_BATCH_ENV_JOB, env->job, sizeof(env->job));
	env_line(S2E_BATCH_ENV_FILE, env->file, sizeof(env->file));
	env_line(S2E_BATCH_ENV_LINE, env->guest, sizeof(env->guest));
	if ((slash = strchr(env->job, '/'))) {
		*slash = '\0';
		snprintf(env->jobs, sizeof(env->jobs), "%s", slash + 1);
	}
	engine_parts(env->engine, sizeof(env->engine), env->engine_id, sizeof(env->engine_id));
	return 0;
}

char *s2e_batch_job_body(void)
{
	struct s2e_batch_env env;

	if (s2e_batch_env_read(&env))
		return s2e_strdup("");
	return s2e_asprintf("Batch: %s\nBatch-Job: %s/%s\nBatch-Engine: %s%s%s\nBatch-File: "
			    "%s\n%s%s%s",
			    env.name, env.job, env.jobs, env.engine, *env.engine_id ? " " : "",
			    env.engine_id, env.file, env.guest[0] ? "Guest: " : "", env.guest,
			    env.guest[0] ? "\n" : "");
}
