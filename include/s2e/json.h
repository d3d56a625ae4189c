/* A small JSON reader for untrusted input (s2e-env's image.json): the text
 * is parsed once into a tree, strictly (RFC 8259: no comments, no trailing
 * commas, nothing after the value), with bounds: at most S2E_JSON_MAX_BYTES
 * of text and S2E_JSON_MAX_DEPTH levels of nesting; strings must be valid
 * UTF-8 without control characters or NUL (a \u0000 escape included), and an
 * object may not repeat a key.  Errors name the text and the byte offset:
 * "image.json: offset 17: ...". */
#ifndef S2E_JSON_H
#define S2E_JSON_H

#include <stddef.h>
#include <stdio.h>

#define S2E_JSON_MAX_BYTES (1024 * 1024)
#define S2E_JSON_MAX_DEPTH 32

enum s2e_json_type {
	S2E_JSON_NULL,
	S2E_JSON_FALSE,
	S2E_JSON_TRUE,
	S2E_JSON_NUMBER, /* text: the number as written */
	S2E_JSON_STRING, /* text: the value, UTF-8 */
	S2E_JSON_ARRAY,	 /* items[0..n) */
	S2E_JSON_OBJECT, /* keys[0..n), items[0..n) */
};

struct s2e_json {
	enum s2e_json_type type;
	char *text;
	char **keys;
	struct s2e_json *items;
	size_t n;
};

int s2e_json_parse(const char *text, size_t len, const char *what, struct s2e_json *out);
void s2e_json_free(struct s2e_json *v);
/* The member `key` of an object, or NULL (also when v is no object). */
const struct s2e_json *s2e_json_member(const struct s2e_json *v, const char *key);
/* Its text when it is a string (or a number), else NULL. */
const char *s2e_json_text(const struct s2e_json *v, const char *key);

/* Set member key of object v to a string (replacing its value, or added
 * last); the object member key, made when missing (NULL: v is no object,
 * or the member is something else). */
int s2e_json_set_string(struct s2e_json *v, const char *key, const char *value);
struct s2e_json *s2e_json_object_member(struct s2e_json *v, const char *key);
/* Write v as JSON, indented by 4 spaces per level, members in order. */
int s2e_json_write(FILE *out, const struct s2e_json *v, int level);

#endif
