/*
 * xalloc: allocation that cannot fail from the caller's point of view.
 * Running out of memory ends the tool with EX_OSERR: a filter has no
 * sensible way to carry on without the record it was holding.
 */
#ifndef RECSYNC_XALLOC_H
#define RECSYNC_XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t n);
void	*xcalloc(size_t n, size_t size);
void	*xreallocarray(void *p, size_t n, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
