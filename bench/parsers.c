/*
 * parsers: how fast jansson and yajl read a Consul listing, to choose the
 * listing parser by measurement (issue 10).  Not a tool of recsync: bench/
 * parsers builds and runs it on the listing bench/run fetched.
 *
 *	parsers LISTING.json
 *
 * Prints, for each way of reading the listing, the CPU seconds and the
 * nanoseconds per element (one stored record):
 *   jansson-tree   json_loadb of the whole listing into one tree, and the
 *                  Key and Value of each element found in it;
 *   yajl-stream    yajl's callback parser: each element's Key and Value as
 *                  they go by, no tree;
 *   values-jansson base64 of every Value decoded and the record's JSON
 *                  parsed with jansson (what each element costs after the
 *                  listing is read);
 *   values-yajl    the same decoded values parsed with yajl's tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

struct seen {
	size_t	 elements;
	size_t	 bytes;		/* of the Key and Value strings */
	int	 in_value;	/* the next string is a Value or a Key */
	char	**values;	/* base64 of each Value, kept for the next pass */
	size_t	*lens;
	size_t	 cap;
};

static double
cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
report(const char *what, double secs, size_t n)
{
	printf("%-15s %8.3f s CPU %8.0f ns/element (%zu elements)\n", what, secs,
	    n ? secs * 1e9 / (double)n : 0, n);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n;

	if (fp == NULL) {
		perror(path);
		exit(66);
	}
	*len = 0;
	for (;;) {
		if (*len == cap && (buf = realloc(buf, cap = cap ? 2 * cap : 1 << 20)) == NULL)
			exit(71);
		if ((n = fread(buf + *len, 1, cap - *len, fp)) == 0)
			break;
		*len += n;
	}
	fclose(fp);
	return buf;
}

static void
keep(struct seen *s, const char *v, size_t len)
{
	if (s->elements == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->values = realloc(s->values, s->cap * sizeof(*s->values));
		s->lens = realloc(s->lens, s->cap * sizeof(*s->lens));
		if (s->values == NULL || s->lens == NULL)
			exit(71);
	}
	s->values[s->elements] = strndup(v, len);
	s->lens[s->elements++] = len;
}

static size_t
jansson_tree(const char *text, size_t len)
{
	json_error_t err;
	json_t *all = json_loadb(text, len, 0, &err), *el;
	size_t i, n = 0;

	if (all == NULL) {
		fprintf(stderr, "jansson: %s\n", err.text);
		exit(65);
	}
	json_array_foreach(all, i, el) {
		const char *key, *value;

		if (json_unpack(el, "{s:s, s:s}", "Key", &key, "Value", &value) == 0)
			n++;
	}
	json_decref(all);
	return n;
}

static int
on_key(void *ctx, const unsigned char *k, size_t len)
{
	struct seen *s = ctx;

	s->in_value = len == 5 && memcmp(k, "Value", 5) == 0 ? 1 :
	    len == 3 && memcmp(k, "Key", 3) == 0 ? 2 : 0;
	return 1;
}

static int
on_string(void *ctx, const unsigned char *v, size_t len)
{
	struct seen *s = ctx;

	s->bytes += len;
	if (s->in_value == 1)
		keep(s, (const char *)v, len);
	s->in_value = 0;
	return 1;
}

static int
on_other(void *ctx)
{
	((struct seen *)ctx)->in_value = 0;
	return 1;
}

static int
on_number(void *ctx, const char *n, size_t len)
{
	(void)n;
	(void)len;
	return on_other(ctx);
}

static void
yajl_stream(const char *text, size_t len, struct seen *s)
{
	yajl_callbacks cb = { .yajl_null = on_other, .yajl_number = on_number,
	    .yajl_string = on_string, .yajl_map_key = on_key };
	yajl_handle h = yajl_alloc(&cb, NULL, s);
	size_t off, chunk = 65536;

	/* In pieces, as a listing arrives from curl. */
	for (off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		if (yajl_parse(h, (const unsigned char *)text + off, n) != yajl_status_ok)
			exit(65);
	}
	if (yajl_complete_parse(h) != yajl_status_ok)
		exit(65);
	yajl_free(h);
}

static char *
decode(const char *b64, size_t len, size_t *out)
{
	char *buf = malloc(len / 4 * 3 + 1);
	int n = EVP_DecodeBlock((unsigned char *)buf, (const unsigned char *)b64, (int)len);

	if (buf == NULL || n < 0)
		exit(65);
	while (len > 0 && b64[--len] == '=')
		n--;
	buf[n] = '\0';
	*out = (size_t)n;
	return buf;
}

static size_t
values(const struct seen *s, int with_yajl)
{
	size_t i, n = 0, len;

	for (i = 0; i < s->elements; i++) {
		char *v = decode(s->values[i], s->lens[i], &len);

		if (with_yajl) {
			yajl_val t = yajl_tree_parse(v, NULL, 0);
			const char *path[] = { "record", NULL };

			n += t != NULL && YAJL_IS_STRING(yajl_tree_get(t, path, yajl_t_string));
			yajl_tree_free(t);
		} else {
			json_t *t = json_loadb(v, len, 0, NULL);

			n += json_is_string(json_object_get(t, "record"));
			json_decref(t);
		}
		free(v);
	}
	return n;
}

int
main(int argc, char **argv)
{
	struct seen s = { 0 };
	size_t len, n;
	char *text;
	double t;

	if (argc != 2) {
		fprintf(stderr, "usage: parsers LISTING.json\n");
		return 64;
	}
	text = slurp(argv[1], &len);
	printf("listing: %zu bytes\n", len);
	t = cpu();
	n = jansson_tree(text, len);
	report("jansson-tree", cpu() - t, n);
	t = cpu();
	yajl_stream(text, len, &s);
	report("yajl-stream", cpu() - t, s.elements);
	t = cpu();
	n = values(&s, 0);
	report("values-jansson", cpu() - t, n);
	t = cpu();
	n = values(&s, 1);
	report("values-yajl", cpu() - t, n);
	return 0;
}
