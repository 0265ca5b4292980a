#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "strmap.h"
#include "xalloc.h"

struct slot {
	const char	*key;
	void		*value;
	uint64_t	 hash;
};

struct strmap {
	struct slot	*slots;
	size_t		 cap;	/* a power of two */
	size_t		 count;
};

struct strmap *
strmap_new(void)
{
	struct strmap *m = xcalloc(1, sizeof(*m));

	m->cap = 64;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	return m;
}

void
strmap_free(struct strmap *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

static struct slot *
find(const struct strmap *m, const char *key, uint64_t h)
{
	size_t i = h & (m->cap - 1);

	while (m->slots[i].key != NULL &&
	    (m->slots[i].hash != h || strcmp(m->slots[i].key, key) != 0))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

static void
grow(struct strmap *m)
{
	struct slot *old = m->slots;
	size_t i, oldcap = m->cap;

	m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			*find(m, old[i].key, old[i].hash) = old[i];
	free(old);
}

uint64_t
strmap_hash(const char *key)
{
	return hash_bytes(key, strlen(key));
}

void *
strmap_get_hashed(const struct strmap *m, const char *key, uint64_t hash)
{
	return find(m, key, hash)->value;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	return strmap_get_hashed(m, key, strmap_hash(key));
}

int
strmap_has(const struct strmap *m, const char *key)
{
	return find(m, key, strmap_hash(key))->key != NULL;
}

int
strmap_add_hashed(struct strmap *m, const char *key, uint64_t hash,
    void *value)
{
	struct slot *s = find(m, key, hash);

	if (s->key != NULL)
		return 0;
	if ((m->count + 1) * 4 > m->cap * 3) {
		grow(m);
		s = find(m, key, hash);
	}
	s->key = key;
	s->value = value;
	s->hash = hash;
	m->count++;
	return 1;
}

int
strmap_add(struct strmap *m, const char *key, void *value)
{
	return strmap_add_hashed(m, key, strmap_hash(key), value);
}

size_t
strmap_count(const struct strmap *m)
{
	return m->count;
}
