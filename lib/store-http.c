#include "store-backend.h"
#include "s2e/error.h"
int s2e_store_http_open(struct s2e_store *st, const char *url, const struct s2e_store_options *o)
{
	(void)st; (void)url; (void)o;
	return s2e_error("not yet");
}
